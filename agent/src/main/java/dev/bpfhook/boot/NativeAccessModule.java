package dev.bpfhook.boot;

import java.lang.instrument.Instrumentation;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Native access for the agent's JNA on JDK 22 and later, and for nothing else in the JVM.
 *
 * <p>The JDK restricts native code to the modules {@code --enable-native-access} names (JEP 472): JNA loading
 * its stub from an unnamed module makes JDK 24 and later print a four-line warning into the application's
 * stderr, and a later JDK will refuse. The jar's {@code Enable-Native-Access} attribute counts for
 * {@code java -jar} only, and granting all unnamed modules would grant the application as well. So, in
 * agent mode, JNA (with our one-class package {@value #ENABLER_PACKAGE}) becomes a named module of its own,
 * {@value #MODULE}, in a module layer mapped to the agent's class loader; the agent's instrumentation opens
 * {@code java.lang} to that module alone, and the enabler in it turns native access on for its own module.
 * The JDK has no public way to do that last step, hence the internal method; where any step fails the JDK
 * prints its warning as before and the agent works the same.
 */
final class NativeAccessModule implements Supplier<String> {
    static final String MODULE = "bpfhook.jna";
    static final String ENABLER_PACKAGE = "dev.bpfhook.nativeaccess";
    private static final String ENABLER = ENABLER_PACKAGE + ".NativeAccessEnabler";

    private final Instrumentation instrumentation;
    private final AgentClassLoader loader;
    /** What the first call found: the module can be defined once per loader, and every later load reuses it. */
    private String outcome; // guarded by this

    /** Done later, on the agent's loader thread: the module system's first use takes tens of milliseconds. */
    NativeAccessModule(Instrumentation instrumentation, AgentClassLoader loader) {
        this.instrumentation = instrumentation;
        this.loader = loader;
    }

    /**
     * Defines the module and enables native access for it; to be called before any JNA class is loaded. Done
     * once: a later load of the agent into this JVM (same loader) gets what the first found.
     *
     * @return why it was not done, or empty when it was (or when the JDK restricts nothing)
     */
    @Override
    public synchronized String get() {
        if (outcome == null) {
            outcome = enable();
        }
        return outcome;
    }

    private String enable() {
        if (Runtime.version().feature() < 22) {
            return "";
        }
        if (instrumentation == null) {
            return "no instrumentation";
        }
        try {
            Set<String> packages = new TreeSet<>(loader.packagesUnder("com/sun/jna/"));
            packages.add(ENABLER_PACKAGE);
            Module module = layer(packages, loader).findModule(MODULE).orElseThrow();
            loader.inModule(packages);
            instrumentation.redefineModule(Object.class.getModule(), Set.of(), Map.of(),
                    Map.of("java.lang", Set.of(module)), Set.of(), Map.of());
            Object enabled = Class.forName(ENABLER, true, loader).getMethod("enable").invoke(null);
            return Boolean.TRUE.equals(enabled) ? "" : "the JDK refused";
        } catch (Exception | LinkageError e) {
            return e.toString(); // e.g. the application's own JNA is a named module: "reads more than one module"
        }
    }

    /** A layer over the boot layer with one automatic module of these packages, its classes defined by {@code loader}. */
    private static ModuleLayer layer(Set<String> packages, ClassLoader loader) {
        ModuleDescriptor descriptor = ModuleDescriptor.newAutomaticModule(MODULE).packages(packages).build();
        ModuleReference reference = new ModuleReference(descriptor, null) {
            @Override
            public ModuleReader open() {
                throw new UnsupportedOperationException("classes and resources come from the agent's class loader");
            }
        };
        ModuleFinder finder = new ModuleFinder() {
            @Override
            public Optional<ModuleReference> find(String name) {
                return name.equals(MODULE) ? Optional.of(reference) : Optional.empty();
            }

            @Override
            public Set<ModuleReference> findAll() {
                return Set.of(reference);
            }
        };
        Configuration configuration = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), Set.of(MODULE));
        return ModuleLayer.defineModules(configuration, List.of(ModuleLayer.boot()), name -> loader).layer();
    }
}
