/*
 * Millstream example: a Flink 1.x job that uses the SourceFunction API (env.addSource),
 * which Flink 2.0 removed. Built against a Flink 1.20 runtime's jars (examples/build.py,
 * build_legacy_example); it runs on Flink 1.20 and cannot run on Flink 2.x, where the
 * class org.apache.flink.streaming.api.functions.source.SourceFunction does not exist.
 *
 * A rate-limited counter source (with checkpointed offset state) -> discarding sink.
 * Arguments: --rows-per-second N (default 20).
 */
package millstream.examples;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.DiscardingSink;
import org.apache.flink.streaming.api.functions.source.SourceFunction;

public final class LegacySourceJob {

    private LegacySourceJob() {}

    public static void main(String[] args) throws Exception {
        long rowsPerSecond = 20;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--rows-per-second")) {
                rowsPerSecond = Long.parseLong(args[i + 1]);
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.addSource(new Counter(rowsPerSecond))
                .uid("counter")
                .name("counter (SourceFunction)")
                .addSink(new DiscardingSink<>())
                .uid("discard");
        env.execute("legacy-source-job");
    }

    /** The pre-FLIP-27 source API: run() loops until cancel(). */
    static final class Counter implements SourceFunction<Long>, CheckpointedFunction {
        private final long rowsPerSecond;
        private volatile boolean running = true;
        private long next;
        private transient ListState<Long> offset;

        Counter(long rowsPerSecond) {
            this.rowsPerSecond = Math.max(1, rowsPerSecond);
        }

        @Override
        public void run(SourceContext<Long> context) throws Exception {
            while (running) {
                synchronized (context.getCheckpointLock()) {
                    context.collect(next++);
                }
                Thread.sleep(1000 / rowsPerSecond);
            }
        }

        @Override
        public void cancel() {
            running = false;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            offset.update(java.util.List.of(next));
        }

        @Override
        public void initializeState(FunctionInitializationContext context) throws Exception {
            offset = context.getOperatorStateStore()
                    .getListState(new ListStateDescriptor<>("offset", Long.class));
            for (Long value : offset.get()) {
                next = value;
            }
        }
    }
}
