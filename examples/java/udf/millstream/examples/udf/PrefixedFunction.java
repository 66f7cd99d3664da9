package millstream.examples.udf;

import org.apache.flink.table.functions.ScalarFunction;

/**
 * A base class of scalar functions that put a prefix in front of their result: the jar
 * scanner must find {@link PrefixUpper} as a scalar function through this superclass.
 */
public abstract class PrefixedFunction extends ScalarFunction {

    protected static final String PREFIX = "MS-";

    protected String prefixed(String value) {
        return value == null ? null : PREFIX + value;
    }
}
