package dev.bpfhook.boot;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Loads bpfhook and its libraries (JNA) from the {@value #PREFIX} folder of the
 * agent jar, where class files are stored as {@code .classdata}: invisible to
 * the application's class loader, so an application that ships its own JNA
 * keeps it, and we keep ours. JNA is not relocated (its native stub finds its
 * classes by their names); each loader simply has its own copy.
 *
 * <p>The parent decides what is shared: the platform loader in agent mode (the
 * JDK only), the system loader for the command line (which needs jdk.attach).
 */
final class AgentClassLoader extends ClassLoader {
    static final String PREFIX = "bpfhook-inst/";
    private static final String CLASS_SUFFIX = ".classdata";

    static {
        registerAsParallelCapable();
    }

    private final JarFile jar;
    private final String jarUrl;
    private final ProtectionDomain domain;
    /** Packages of a named module defined to this loader: the JVM defines those itself. */
    private final Set<String> modulePackages = ConcurrentHashMap.newKeySet();

    AgentClassLoader(File agentJar, ClassLoader parent) throws IOException {
        super("bpfhook", parent);
        this.jar = new JarFile(agentJar, false);
        URL location = agentJar.toURI().toURL();
        this.jarUrl = "jar:" + location + "!/";
        this.domain = new ProtectionDomain(new CodeSource(location, (Certificate[]) null), null, this, null);
    }

    /** The jar this class was loaded from: the agent jar itself. */
    static File agentJar() throws IOException {
        CodeSource source = AgentClassLoader.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            throw new IOException("cannot locate the bpfhook agent jar");
        }
        try {
            return new File(source.getLocation().toURI());
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new IOException("cannot locate the bpfhook agent jar: " + source.getLocation());
        }
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        JarEntry entry = jar.getJarEntry(PREFIX + name.replace('.', '/') + CLASS_SUFFIX);
        if (entry == null) {
            throw new ClassNotFoundException(name);
        }
        byte[] bytes;
        try (InputStream in = jar.getInputStream(entry)) {
            bytes = readAll(in);
        } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
        }
        definePackageOf(name);
        return defineClass(name, bytes, 0, bytes.length, domain);
    }

    @Override
    protected URL findResource(String name) {
        if (jar.getJarEntry(PREFIX + name) == null) {
            return null;
        }
        try {
            return new URL(jarUrl + PREFIX + name);
        } catch (MalformedURLException e) {
            return null;
        }
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        URL url = findResource(name);
        return url == null ? Collections.emptyEnumeration() : Collections.enumeration(Collections.singletonList(url));
    }

    /** The packages of the classes stored under {@code folder} (e.g. "com/sun/jna/") and below. */
    Set<String> packagesUnder(String folder) {
        Set<String> packages = new TreeSet<>();
        String start = PREFIX + folder;
        for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
            String name = entries.nextElement().getName();
            if (name.startsWith(start) && name.endsWith(CLASS_SUFFIX)) {
                packages.add(name.substring(PREFIX.length(), name.lastIndexOf('/')).replace('/', '.'));
            }
        }
        return packages;
    }

    /** Tells the loader that these packages now belong to a named module (see {@link NativeAccessModule}). */
    void inModule(Set<String> packages) {
        modulePackages.addAll(packages);
    }

    private void definePackageOf(String className) {
        int dot = className.lastIndexOf('.');
        if (dot > 0) {
            String pkg = className.substring(0, dot);
            if (!modulePackages.contains(pkg) && getDefinedPackage(pkg) == null) {
                try {
                    definePackage(pkg, null, null, null, null, null, null, null);
                } catch (IllegalArgumentException definedMeanwhile) {
                    // another thread defined it first
                }
            }
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) > 0) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }
}
