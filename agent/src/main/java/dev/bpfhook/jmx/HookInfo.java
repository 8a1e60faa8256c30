package dev.bpfhook.jmx;

/** One kernel hook, the tier in use, and why better tiers were passed over. */
public final class HookInfo {
    private final String hook;
    private final String tier;
    private final String skipped;

    @javax.management.ConstructorParameters({"hook", "tier", "skipped"}) // lets clients' MXBean proxies rebuild it
    public HookInfo(String hook, String tier, String skipped) {
        this.hook = hook;
        this.tier = tier;
        this.skipped = skipped;
    }

    public String getHook() {
        return hook;
    }

    /** The tier in use, or "unavailable". */
    public String getTier() {
        return tier;
    }

    /** "tier: reason; ..." for each better tier that did not load or attach. */
    public String getSkipped() {
        return skipped;
    }
}
