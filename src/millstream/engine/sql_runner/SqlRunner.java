/*
 * Millstream SQL runner: runs a SQL script inside the Flink JobManager as a jar's main().
 *
 * Millstream (engine/submitters.py) splits the script and passes each statement as
 *   --statement <kind>:<line>:<column>:<base64 text>[:<base64 key>[:<base64 value>]]
 * plus --mode streaming|batch and --action run|plan. SET/RESET change the table config,
 * INSERTs are collected into one StatementSet (one Flink job), everything else goes
 * through executeSql. With --action plan (POST /jars/{id}/plan) the same code runs, the
 * plan environment captures the pipeline and nothing executes.
 *
 * A statement that fails is reported as "MILLSTREAM-SQL[statement=i line=L column=C] ..."
 * so Millstream can turn Flink's statement-relative positions into script positions.
 */
package millstream.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;

public final class SqlRunner {

    private SqlRunner() {}

    /** A statement failed; the marker carries where it starts in the script. */
    static final class StatementFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StatementFailed(int index, int line, int column, Throwable cause) {
            super(
                    "MILLSTREAM-SQL[statement=" + index + " line=" + line + " column=" + column
                            + "] " + cause.getMessage(),
                    cause);
        }
    }

    public static void main(String[] args) {
        String action = "run";
        String mode = "streaming";
        List<String> statements = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--action":
                    action = args[++i];
                    break;
                case "--mode":
                    mode = args[++i];
                    break;
                case "--statement":
                    statements.add(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }

        EnvironmentSettings settings =
                "batch".equals(mode)
                        ? EnvironmentSettings.inBatchMode()
                        : EnvironmentSettings.inStreamingMode();
        TableEnvironment tEnv = TableEnvironment.create(settings);
        StatementSet inserts = tEnv.createStatementSet();
        int insertCount = 0;

        for (int index = 0; index < statements.size(); index++) {
            String[] fields = statements.get(index).split(":", -1);
            String kind = fields[0];
            int line = Integer.parseInt(fields[1]);
            int column = Integer.parseInt(fields[2]);
            String text = decode(fields[3]);
            try {
                switch (kind) {
                    case "set":
                        tEnv.getConfig().set(decode(fields[4]), decode(fields[5]));
                        break;
                    case "reset":
                        tEnv.getConfig().getConfiguration().removeKey(decode(fields[4]));
                        break;
                    case "insert":
                        inserts.addInsertSql(text);
                        insertCount++;
                        break;
                    default:
                        tEnv.executeSql(text);
                }
            } catch (RuntimeException e) {
                throw new StatementFailed(index, line, column, e);
            }
        }

        if (insertCount == 0) {
            if (!"plan".equals(action)) {
                throw new IllegalArgumentException(
                        "the script has no INSERT statement, so there is no job to run");
            }
            // The plan endpoint needs a pipeline; DDL-only scripts get a no-op one.
            tEnv.executeSql(
                    "CREATE TEMPORARY TABLE `__millstream_plan_sink` (x INT) "
                            + "WITH ('connector' = 'blackhole')");
            inserts.addInsertSql("INSERT INTO `__millstream_plan_sink` VALUES (1)");
        }
        // In run mode this submits one job (the JobID comes from the REST request); in plan
        // mode the plan environment captures the pipeline and aborts main() on purpose.
        inserts.execute();
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
