package millstream.examples.udf;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.TableFunction;
import org.apache.flink.types.Row;

/** {@code LATERAL TABLE(split_words('a b'))}: one row (word, length) per word. */
@FunctionHint(output = @DataTypeHint("ROW<word STRING, length INT>"))
public class SplitWords extends TableFunction<Row> {

    public void eval(String text) {
        if (text == null) {
            return;
        }
        for (String word : text.split("\\s+")) {
            if (!word.isEmpty()) {
                collect(Row.of(word, word.length()));
            }
        }
    }
}
