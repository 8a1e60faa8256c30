package dev.bpfhook.kernel;

import java.util.Collections;
import java.util.List;

/** Which tier of a hook is in use, and why the better tiers were passed over. */
public final class HookStatus {
    private final Hook hook;
    private final Hook.Tier tier;
    private final List<String> skipped;

    HookStatus(Hook hook, Hook.Tier tier, List<String> skipped) {
        this.hook = hook;
        this.tier = tier;
        this.skipped = Collections.unmodifiableList(skipped);
    }

    public Hook hook() {
        return hook;
    }

    /** The tier in use, or null when no tier works on this kernel. */
    public Hook.Tier tier() {
        return tier;
    }

    public boolean active() {
        return tier != null;
    }

    /** "tier: reason" for each better tier that did not load or attach. */
    public List<String> skipped() {
        return skipped;
    }

    @Override
    public String toString() {
        String chosen = tier == null ? "unavailable" : tier.name();
        return skipped.isEmpty() ? hook.label() + "=" + chosen
                : hook.label() + "=" + chosen + " (not " + String.join("; ", skipped) + ")";
    }
}
