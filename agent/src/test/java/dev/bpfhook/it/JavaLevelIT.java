package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.ChildJvm;
import dev.bpfhook.testing.ClassFileInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The agent promises to load into any JVM from 11 on, and no JDK 11 runs here: so every class the jar carries,
 * ours and its dependencies' alike, must be a class file Java 11 can read, and use only what Java 11's API has.
 * A dependency that raises its own baseline (Jolokia 2.4 went to Java 17) would otherwise break the agent on
 * JDK 11 to 16 unseen, since the tests run on 17.
 */
class JavaLevelIT {
    /** Java 11's class file version. */
    private static final int JAVA_11 = 55;
    /** Their methods take any descriptor (invoke, invokeExact; get, setRelease...). */
    private static final Set<String> SIGNATURE_POLYMORPHIC = Set.of("java/lang/invoke/MethodHandle",
            "java/lang/invoke/VarHandle");

    @Test
    void everyClassInTheAgentJarLoadsOnJava11() throws IOException {
        Map<String, ClassFileInfo> classes = agentJarClasses();
        List<String> newer = new ArrayList<>();
        classes.forEach((name, info) -> {
            if (info.majorVersion > JAVA_11) {
                newer.add(name + " (class file version " + info.majorVersion + ", Java " + (info.majorVersion - 44)
                        + ")");
            }
        });
        assertTrue(classes.size() > 1000, "the jar holds the agent and its dependencies: " + classes.size());
        assertEquals(List.of(), newer.subList(0, Math.min(newer.size(), 10)),
                newer.size() + " classes need a Java newer than 11");
    }

    /**
     * Every JDK class, field and method the jar's classes refer to is in Java 11's API, as javac's
     * {@code --release 11} knows it ({@code lib/ct.sym} of the JDK running the tests). Our classes are built
     * with {@code --release 11}; this holds the dependencies to it too, whose builds need not be.
     */
    @Test
    void everyJdkMemberTheAgentJarUsesIsInJava11sApi() throws IOException {
        Map<String, ClassFileInfo> classes = agentJarClasses();
        Map<String, ClassFileInfo> java11 = java11Api();
        Set<String> missing = new TreeSet<>();
        long[] checked = {0};
        classes.forEach((name, info) -> {
            for (String ref : info.classRefs) {
                if (!classes.containsKey(ref) && !java11.containsKey(ref) && inRunningJdk(ref)) {
                    missing.add(ref + " (used by " + name + ")");
                }
            }
            for (ClassFileInfo.MemberRef ref : info.memberRefs) {
                if (java11.containsKey(ref.owner)) {
                    checked[0]++;
                    if (!declares(java11, ref.owner, ref)) {
                        missing.add(ref + " (used by " + name + ")");
                    }
                }
            }
        });
        assertTrue(checked[0] > 10_000, "the JDK members the jar uses were read: " + checked[0]);
        assertEquals(Set.of(), missing, missing.size() + " JDK classes or members the agent jar uses are not in Java 11");
    }

    /** The jar's classes by internal name: ours and the dependencies' under bpfhook-inst/ (.classdata). */
    private static Map<String, ClassFileInfo> agentJarClasses() throws IOException {
        Map<String, ClassFileInfo> classes = new HashMap<>();
        try (JarFile jar = new JarFile(ChildJvm.agentJar().toFile())) {
            for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements();) {
                JarEntry entry = entries.nextElement();
                String name = entry.getName();
                if (name.endsWith(".class") || name.endsWith(".classdata")) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        classes.put(name.replaceFirst("^bpfhook-inst/", "").replaceFirst("\\.class(data)?$", ""),
                                ClassFileInfo.read(in.readAllBytes()));
                    }
                }
            }
        }
        return classes;
    }

    /** Whether {@code owner} or a supertype of it declares {@code ref}, in Java 11. */
    private static boolean declares(Map<String, ClassFileInfo> api, String owner, ClassFileInfo.MemberRef ref) {
        ClassFileInfo c = api.get(owner);
        if (c == null) {
            return false;
        }
        if (c.members.contains(ref.name + (ref.method ? "" : ":") + ref.descriptor)) {
            return true;
        }
        if (ref.method && SIGNATURE_POLYMORPHIC.contains(owner)
                && c.members.stream().anyMatch(m -> m.startsWith(ref.name + "("))) {
            return true;
        }
        if (c.superName != null && declares(api, c.superName, ref)) {
            return true; // an interface's super class is Object: its methods are found there
        }
        return c.interfaces.stream().anyMatch(i -> declares(api, i, ref));
    }

    /** A class of the JDK running the tests, where a class that Java 11's API lacks may be. */
    private static boolean inRunningJdk(String internalName) {
        try {
            Class.forName(internalName.replace('/', '.'), false, ClassLoader.getPlatformClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false; // an optional dependency's, not the JDK's
        }
    }

    /** Java 11's API: the class files of release 11 in ct.sym (under directories whose name has the letter B). */
    private static Map<String, ClassFileInfo> java11Api() throws IOException {
        Path ctSym = Paths.get(System.getProperty("java.home"), "lib", "ct.sym");
        Map<String, ClassFileInfo> api = new HashMap<>();
        try (ZipFile zip = new ZipFile(ctSym.toFile())) {
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements();) {
                ZipEntry entry = entries.nextElement();
                String[] parts = entry.getName().split("/", 3); // releases / module / package/Class.sig
                if (parts.length == 3 && parts[0].indexOf('B') >= 0 && parts[2].endsWith(".sig")) {
                    try (InputStream in = zip.getInputStream(entry)) {
                        api.put(parts[2].substring(0, parts[2].length() - 4), ClassFileInfo.read(in.readAllBytes()));
                    }
                }
            }
        }
        assertTrue(api.containsKey("java/lang/String") && !api.containsKey("java/lang/Record"),
                "release 11 read from " + ctSym + ": " + api.size() + " classes");
        return api;
    }
}
