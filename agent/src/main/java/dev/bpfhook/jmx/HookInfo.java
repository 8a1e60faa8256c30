package dev.bpfhook.jmx;

/** One kernel hook, the tier in use, why better tiers were passed over, and what else its status says. */
public final class HookInfo {
    private final String hook;
    private final String tier;
    private final String skipped;
    private final String notes;

    // lets clients' MXBean proxies rebuild it
    @javax.management.ConstructorParameters({"hook", "tier", "skipped", "notes"})
    public HookInfo(String hook, String tier, String skipped, String notes) {
        this.hook = hook;
        this.tier = tier;
        this.skipped = skipped;
        this.notes = notes;
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

    /**
     * "note; ...": what the tier left undone (network namespaces the start-up listing could not enter) or how
     * it hands its records over (the lifecycle hook: "records staged per CPU", or why not); empty when none.
     */
    public String getNotes() {
        return notes;
    }
}
