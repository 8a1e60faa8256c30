package dev.bpfhook.destination;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventRecord;

/**
 * Every test of {@link DestinationTrackerTest} again, with the tracker fed as the monitor's ring
 * thread feeds it: one reused record, joined by the table, which tells the tracker what it knows of
 * the record's connection (no lookup in the table). The figures must be the same.
 */
class DestinationTrackerRecordsTest extends DestinationTrackerTest {
    private final EventRecord record = new EventRecord();

    @Override
    void feed(ConnectionEvent.Builder b) {
        EventRecord r = record.load(b.build());
        table.join(r);
        tracker.onRecord(r);
    }
}
