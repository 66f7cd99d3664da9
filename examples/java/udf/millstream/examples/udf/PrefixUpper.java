package millstream.examples.udf;

/** {@code prefix_upper('abc')} is {@code 'MS-ABC'}: upper case with a prefix. */
public class PrefixUpper extends PrefixedFunction {

    public String eval(String value) {
        return value == null ? null : prefixed(value.toUpperCase(java.util.Locale.ROOT));
    }
}
