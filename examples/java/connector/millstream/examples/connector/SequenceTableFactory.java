package millstream.examples.connector;

import java.util.Set;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.factories.DynamicTableSourceFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.types.logical.RowType;

/**
 * {@code 'connector' = 'ms-sequence'}: a bounded source of the numbers {@code start} to
 * {@code end}. A BIGINT/INT column gets the number, a STRING column {@code prefix} + the
 * number. Listed in META-INF/services/org.apache.flink.table.factories.Factory.
 */
public class SequenceTableFactory implements DynamicTableSourceFactory {

    public static final ConfigOption<Long> START =
            ConfigOptions.key("start").longType().defaultValue(1L)
                    .withDescription("The first number.");
    public static final ConfigOption<Long> END =
            ConfigOptions.key("end").longType().noDefaultValue()
                    .withDescription("The last number (inclusive).");
    public static final ConfigOption<String> PREFIX =
            ConfigOptions.key("prefix").stringType().defaultValue("row-")
                    .withDescription("What STRING columns start with.");

    @Override
    public String factoryIdentifier() {
        return "ms-sequence";
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(END);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(START, PREFIX);
    }

    @Override
    public DynamicTableSource createDynamicTableSource(Context context) {
        FactoryUtil.TableFactoryHelper helper = FactoryUtil.createTableFactoryHelper(this, context);
        helper.validate();
        ReadableConfig options = helper.getOptions();
        RowType rowType = (RowType) context.getPhysicalRowDataType().getLogicalType();
        return new SequenceTableSource(
                options.get(START), options.get(END), options.get(PREFIX), rowType);
    }
}
