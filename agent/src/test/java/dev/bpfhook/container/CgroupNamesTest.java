package dev.bpfhook.container;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bpfhook.testing.KernelTests;
import dev.bpfhook.testing.TestCgroup;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cgroup ids to paths, on the real cgroup v2 hierarchy (creating cgroups needs root). */
class CgroupNamesTest {
    @BeforeEach
    void root() {
        KernelTests.requireRoot();
    }

    @Test
    void namesTheCgroupsOfTheWatchedSubtreeOnly() throws Exception {
        try (TestCgroup watched = TestCgroup.create("names");
             TestCgroup other = TestCgroup.create("othernames")) {
            Path child = Files.createDirectory(watched.directory().resolve("child"));
            CgroupV2 hierarchy = watched.hierarchy();
            CgroupNames names = new CgroupNames(hierarchy, watched.directory());

            assertEquals(hierarchy.name(watched.directory()), names.nameOf(watched.id()));
            assertEquals(hierarchy.name(watched.directory()) + "/child", names.nameOf(CgroupV2.id(child)));
            assertEquals("cgroup:" + other.id(), names.nameOf(other.id()), "outside the subtree: not walked");
            assertEquals(hierarchy.name(other.directory()), new CgroupNames(hierarchy, hierarchy.mount()).nameOf(other.id()),
                    "the whole hierarchy names it");
        }
    }
    /** A walk forgets the cgroups removed since the last one, so that container churn cannot grow the map. */
    @Test
    void aWalkForgetsCgroupsThatAreGone() throws Exception {
        try (TestCgroup watched = TestCgroup.create("forget")) {
            Path gone = Files.createDirectory(watched.directory().resolve("gone"));
            long goneId = CgroupV2.id(gone);
            CgroupV2 hierarchy = watched.hierarchy();
            CgroupNames names = new CgroupNames(hierarchy, watched.directory());
            assertEquals(hierarchy.name(gone), names.nameOf(goneId));
            assertEquals(2, names.size(), "the watched cgroup and its child");

            Files.delete(gone);
            Path added = Files.createDirectory(watched.directory().resolve("added"));
            Thread.sleep(1_100); // walks are at most one a second
            assertEquals(hierarchy.name(added), names.nameOf(CgroupV2.id(added)), "an unknown id: a new walk");
            assertEquals(2, names.size(), "the watched cgroup and the new child; the removed one forgotten");
            assertEquals("cgroup:" + goneId, names.nameOf(goneId));
        }
    }
}
