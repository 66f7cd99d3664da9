/*
 * Millstream example: a keyed streaming job with state, for JAR deployments.
 *
 * Numbers from a rate-limited DataGeneratorSource (or, with --count N, a bounded
 * NumberSequenceSource that finishes — run it with executionMode BATCH), keyed by
 * number % keys, counted per key in keyed ValueState (so savepoints carry state), and
 * written to a sink-v2 DiscardingSink. Every operator has a uid, so a savepoint of one
 * version restores into the next.
 *
 * Built with javac against the jars of the apache-flink wheel (examples/build.py); no
 * Maven needed. Arguments: --rows-per-second N (default 20), --keys N (default 8),
 * --count N (bounded input of N numbers; default: unbounded).
 */
package millstream.examples;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

public final class StreamingJob {

    private StreamingJob() {}

    public static void main(String[] args) throws Exception {
        long rowsPerSecond = longArg(args, "--rows-per-second", 20);
        long keys = Math.max(1, longArg(args, "--keys", 8));
        long count = longArg(args, "--count", -1);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        SingleOutputStreamOperator<Long> numbers;
        if (count >= 0) {
            numbers = env.fromSource(
                    new NumberSequenceSource(0, count - 1),
                    WatermarkStrategy.noWatermarks(),
                    "numbers");
        } else {
            DataGeneratorSource<Long> source = new DataGeneratorSource<>(
                    index -> index,
                    Long.MAX_VALUE,
                    RateLimiterStrategy.perSecond(rowsPerSecond),
                    Types.LONG);
            numbers = env.fromSource(source, WatermarkStrategy.noWatermarks(), "numbers");
        }
        numbers.uid("numbers")
                .keyBy(new ByRemainder(keys))
                .map(new CountPerKey(keys))
                .uid("count-per-key")
                .name("count-per-key")
                .sinkTo(new DiscardingSink<>())
                .uid("discard")
                .name("discard");
        // No name here: Flink then uses pipeline.name, which Millstream sets to the
        // deployment's name, so the Flink UI shows the same name as the console.
        env.execute();
    }

    private static long longArg(String[] args, String name, long fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Long.parseLong(args[i + 1]);
            }
        }
        return fallback;
    }

    /** The key of a number: its remainder modulo the number of keys. */
    public static final class ByRemainder implements KeySelector<Long, Long> {
        private final long keys;

        public ByRemainder(long keys) {
            this.keys = keys;
        }

        @Override
        public Long getKey(Long value) {
            return value % keys;
        }
    }

    /** Counts the numbers seen per key in keyed state; emits (key, count). */
    public static final class CountPerKey extends RichMapFunction<Long, Tuple2<Long, Long>> {
        private final long keys;
        private transient ValueState<Long> seen;

        public CountPerKey(long keys) {
            this.keys = keys;
        }

        @Override
        public void open(OpenContext context) {
            seen = getRuntimeContext().getState(new ValueStateDescriptor<>("seen", Types.LONG));
        }

        @Override
        public Tuple2<Long, Long> map(Long value) throws Exception {
            Long current = seen.value();
            long next = (current == null ? 0L : current) + 1;
            seen.update(next);
            return Tuple2.of(value % keys, next);
        }
    }
}
