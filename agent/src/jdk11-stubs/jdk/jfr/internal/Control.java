package jdk.jfr.internal;

/**
 * A compile-time stand-in, never packaged. Java 11's {@code jdk.jfr.SettingControl} extends this
 * class of a package that jdk.jfr does not export, and JDK 17's javac, compiling for release 11,
 * knows the exported packages only: without a symbol for the superclass it cannot compile a
 * SettingControl (dev.bpfhook.jfr.ConnectThresholdSetting). agent/pom.xml patches this directory
 * into jdk.jfr for the main compile alone. At run time every JDK uses its own classes; from JDK 17
 * on, SettingControl no longer extends this class, and javac 25 (tested) has the symbol.
 */
public abstract class Control {
}
