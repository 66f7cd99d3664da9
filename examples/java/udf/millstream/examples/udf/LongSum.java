package millstream.examples.udf;

import org.apache.flink.table.functions.AggregateFunction;

/** {@code long_sum(x)}: the sum of a BIGINT column, as an aggregate function. */
public class LongSum extends AggregateFunction<Long, LongSum.Accumulator> {

    /** The running sum. */
    public static class Accumulator {
        public long sum;
    }

    @Override
    public Accumulator createAccumulator() {
        return new Accumulator();
    }

    @Override
    public Long getValue(Accumulator accumulator) {
        return accumulator.sum;
    }

    public void accumulate(Accumulator accumulator, Long value) {
        if (value != null) {
            accumulator.sum += value;
        }
    }
}
