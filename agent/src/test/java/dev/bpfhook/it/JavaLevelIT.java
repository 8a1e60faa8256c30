package dev.bpfhook.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.testing.ChildJvm;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The agent promises to load into any JVM from 11 on, and no JDK 11 runs here: so every class the jar carries,
 * ours and its dependencies' alike, must be a class file Java 11 can read. A dependency that raises its own
 * baseline (Jolokia 2.4 went to Java 17) would otherwise break the agent on JDK 11 to 16 unseen, since the
 * tests run on 17.
 */
class JavaLevelIT {
    /** Java 11's class file version. */
    private static final int JAVA_11 = 55;

    @Test
    void everyClassInTheAgentJarLoadsOnJava11() throws IOException {
        List<String> newer = new ArrayList<>();
        int classes = 0;
        try (JarFile jar = new JarFile(ChildJvm.agentJar().toFile())) {
            for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements();) {
                JarEntry entry = entries.nextElement();
                String name = entry.getName();
                // the agent's own loader reads bpfhook-inst/**/*.classdata; the launcher's classes are plain
                if (!name.endsWith(".class") && !name.endsWith(".classdata")) {
                    continue;
                }
                classes++;
                int major = majorVersion(jar, entry);
                if (major > JAVA_11) {
                    newer.add(name + " (class file version " + major + ", Java " + (major - 44) + ")");
                }
            }
        }
        assertTrue(classes > 1000, "the jar holds the agent and its dependencies: " + classes + " classes");
        assertEquals(List.of(), newer.subList(0, Math.min(newer.size(), 10)),
                newer.size() + " classes need a Java newer than 11");
    }

    private static int majorVersion(JarFile jar, JarEntry entry) throws IOException {
        try (InputStream in = jar.getInputStream(entry); DataInputStream data = new DataInputStream(in)) {
            assertEquals(0xCAFEBABE, data.readInt(), entry.getName() + " is not a class file");
            data.readUnsignedShort(); // minor
            return data.readUnsignedShort();
        }
    }
}
