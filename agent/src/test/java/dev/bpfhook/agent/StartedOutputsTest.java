package dev.bpfhook.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the shutdown hook closes, however the loader's starts and the JVM's exit interleave. */
class StartedOutputsTest {
    private final List<String> closed = new ArrayList<>();
    private final StartedOutputs outputs = new StartedOutputs();

    @Test
    void closeAllClosesEachKeptOutputOnceInTheOrderTheyStarted() {
        assertTrue(outputs.keep(output("jfr")));
        assertTrue(outputs.keep(output("jolokia")));

        outputs.closeAll();
        outputs.closeAll();

        assertEquals(List.of("jfr", "jolokia"), closed);
        assertTrue(outputs.closing());
    }

    @Test
    void anOutputThatFinishesStartingAfterCloseAllIsClosedAtOnceNotKept() {
        outputs.keep(output("jfr"));
        outputs.closeAll();

        assertFalse(outputs.keep(output("jolokia")), "the JVM exits: nothing would close it later");
        outputs.closeAll();

        assertEquals(List.of("jfr", "jolokia"), closed);
    }

    @Test
    void oneOutputFailingToCloseDoesNotKeepTheOthersOpen() {
        outputs.keep(new Recorded("report") {
            @Override
            public void close() {
                throw new IllegalStateException("Shutdown in progress");
            }
        });
        outputs.keep(output("jolokia"));

        outputs.closeAll();

        assertEquals(List.of("jolokia"), closed);
    }

    @Test
    void notClosingBeforeCloseAll() {
        outputs.keep(output("jfr"));

        assertFalse(outputs.closing());
        assertEquals(List.of(), closed);
    }

    private AgentOutput output(String name) {
        return new Recorded(name);
    }

    private class Recorded implements AgentOutput {
        private final String name;

        Recorded(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void start(AgentContext context) {
        }

        @Override
        public void close() {
            closed.add(name);
        }
    }
}
