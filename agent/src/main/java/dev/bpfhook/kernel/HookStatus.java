package dev.bpfhook.kernel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Which tier of a hook is in use, and why the better tiers were passed over. */
public final class HookStatus {
    private final Hook hook;
    private final Hook.Tier tier;
    private final List<String> skipped;
    private final boolean needed;
    private final List<String> notes;

    HookStatus(Hook hook, Hook.Tier tier, List<String> skipped) {
        this(hook, tier, skipped, Collections.emptyList());
    }

    /**
     * @param notes what its tier left undone, e.g. namespaces the start-up listing could not enter, or how it
     *              hands its records over
     */
    HookStatus(Hook hook, Hook.Tier tier, List<String> skipped, List<String> notes) {
        this(hook, tier, skipped, true, notes);
    }

    private HookStatus(Hook hook, Hook.Tier tier, List<String> skipped, boolean needed, List<String> notes) {
        this.hook = hook;
        this.tier = tier;
        this.skipped = Collections.unmodifiableList(skipped);
        this.needed = needed;
        this.notes = Collections.unmodifiableList(notes);
    }

    /** This status with one more note. */
    HookStatus withNote(String note) {
        List<String> more = new ArrayList<>(notes);
        more.add(note);
        return new HookStatus(hook, tier, skipped, needed, more);
    }

    /** A hook the chosen tiers of the others make unnecessary: not attached, and not missed. */
    static HookStatus notNeeded(Hook hook, String why) {
        return new HookStatus(hook, null, Collections.singletonList(why), false, Collections.emptyList());
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

    /** Needed on this kernel but no tier works: the monitor runs without what the hook provides. */
    public boolean missing() {
        return tier == null && needed;
    }

    /** The tier's name, "unavailable" or "not needed". */
    public String tierName() {
        return tier != null ? tier.name() : needed ? "unavailable" : "not needed";
    }

    /** What its tier left undone, or how it hands its records over (see the constructor). */
    public List<String> notes() {
        return notes;
    }

    /** "tier: reason" for each better tier that did not load or attach. */
    public List<String> skipped() {
        return skipped;
    }

    @Override
    public String toString() {
        if (!needed) {
            return hook.label() + "=not needed (" + String.join("; ", skipped) + ")";
        }
        String status = skipped.isEmpty() ? hook.label() + "=" + tierName()
                : hook.label() + "=" + tierName() + " (not " + String.join("; ", skipped) + ")";
        return notes.isEmpty() ? status : status + " [" + String.join("; ", notes) + "]";
    }
}
