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
            assertEquals(hierarchy.name(other.directory()), new CgroupNames(hierarchy).nameOf(other.id()),
                    "the whole hierarchy names it");
        }
    }
}
