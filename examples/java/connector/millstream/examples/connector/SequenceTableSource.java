package millstream.examples.connector;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.ProviderContext;
import org.apache.flink.table.connector.source.DataStreamScanProvider;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.ScanTableSource;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;

/** The bounded scan of {@link SequenceTableFactory}: Flink's number sequence, as rows. */
public class SequenceTableSource implements ScanTableSource {

    private final long start;
    private final long end;
    private final String prefix;
    private final RowType rowType;

    public SequenceTableSource(long start, long end, String prefix, RowType rowType) {
        this.start = start;
        this.end = end;
        this.prefix = prefix;
        this.rowType = rowType;
    }

    @Override
    public ChangelogMode getChangelogMode() {
        return ChangelogMode.insertOnly();
    }

    @Override
    public ScanRuntimeProvider getScanRuntimeProvider(ScanContext context) {
        final ToRow toRow = new ToRow(prefix, rowType);
        final InternalTypeInfo<RowData> type = InternalTypeInfo.of(rowType);
        return new DataStreamScanProvider() {
            @Override
            public DataStream<RowData> produceDataStream(
                    ProviderContext providerContext, StreamExecutionEnvironment env) {
                return env.fromSequence(start, end).map(toRow).returns(type);
            }

            @Override
            public boolean isBounded() {
                return true;
            }
        };
    }

    @Override
    public DynamicTableSource copy() {
        return new SequenceTableSource(start, end, prefix, rowType);
    }

    @Override
    public String asSummaryString() {
        return "ms-sequence(" + start + ".." + end + ")";
    }

    /** One number becomes one row; serializable, so it travels to the TaskManagers. */
    public static final class ToRow implements MapFunction<Long, RowData> {
        private final String prefix;
        private final LogicalTypeRoot[] roots;

        ToRow(String prefix, RowType rowType) {
            this.prefix = prefix;
            this.roots = rowType.getChildren().stream()
                    .map(t -> t.getTypeRoot()).toArray(LogicalTypeRoot[]::new);
        }

        @Override
        public RowData map(Long value) {
            GenericRowData row = new GenericRowData(roots.length);
            for (int i = 0; i < roots.length; i++) {
                switch (roots[i]) {
                    case BIGINT:
                        row.setField(i, value);
                        break;
                    case INTEGER:
                        row.setField(i, value.intValue());
                        break;
                    case VARCHAR:
                    case CHAR:
                        row.setField(i, StringData.fromString(prefix + value));
                        break;
                    default:
                        row.setField(i, null);
                }
            }
            return row;
        }
    }
}
