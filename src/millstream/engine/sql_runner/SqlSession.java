/*
 * Millstream SQL session: a short-lived local JVM that Millstream (engine/sql_session.py)
 * starts for interactive SQL, with Flink's lib/ on the class path.
 *
 *   --action describe   run the catalog's DDL and one new DDL statement in a fresh
 *                       TableEnvironment (Flink's planner validates it) and print the
 *                       resulting catalog `vvp` as JSON: what ExecuteSqlStatement stores.
 *   --action query      run the catalog's DDL, then one query on a remote cluster
 *                       (--conf execution.target=remote, rest.address, rest.port,
 *                       $internal.pipeline.job-id) and print its rows as they arrive,
 *                       stopping at --rows or --timeout-ms and cancelling the Flink job.
 *
 * Statements arrive on stdin, one per line: "P <base64>" (the catalog's DDL) or
 * "S <base64>" (the user's statement). Every line of the protocol on stdout starts with
 * "@@ms " followed by one JSON object, so log lines on stdout are never mistaken for it.
 */
package millstream.engine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.catalog.Catalog;
import org.apache.flink.table.catalog.CatalogBaseTable;
import org.apache.flink.table.catalog.CatalogDatabase;
import org.apache.flink.table.catalog.CatalogFunction;
import org.apache.flink.table.catalog.CatalogTable;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ObjectPath;
import org.apache.flink.table.catalog.ResolvedCatalogBaseTable;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.catalog.UniqueConstraint;
import org.apache.flink.table.catalog.WatermarkSpec;
import org.apache.flink.table.resource.ResourceUri;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

public final class SqlSession {

    static final String CATALOG = "vvp";
    static final String DATABASE = "default";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream OUT =
            new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                    StandardCharsets.UTF_8);

    private SqlSession() {}

    public static void main(String[] args) throws Exception {
        String action = "describe";
        String mode = "streaming";
        long rows = 100;
        long timeoutMs = 30_000;
        Configuration conf = new Configuration();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--action": action = args[++i]; break;
                case "--mode": mode = args[++i]; break;
                case "--rows": rows = Long.parseLong(args[++i]); break;
                case "--timeout-ms": timeoutMs = Long.parseLong(args[++i]); break;
                case "--conf": {
                    String kv = args[++i];
                    int eq = kv.indexOf('=');
                    conf.setString(kv.substring(0, eq), kv.substring(eq + 1));
                    break;
                }
                default: throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        List<String> prelude = new ArrayList<>();
        List<String> statements = new ArrayList<>();
        BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.length() < 2) continue;
            String text = new String(Base64.getDecoder().decode(line.substring(2)),
                    StandardCharsets.UTF_8);
            (line.charAt(0) == 'P' ? prelude : statements).add(text);
        }
        EnvironmentSettings.Builder settings = EnvironmentSettings.newInstance()
                .withConfiguration(conf);
        settings = "batch".equals(mode) ? settings.inBatchMode() : settings.inStreamingMode();
        TableEnvironment tEnv = TableEnvironment.create(settings.build());
        tEnv.executeSql("CREATE CATALOG `" + CATALOG + "` WITH ('type' = 'generic_in_memory', "
                + "'default-database' = '" + DATABASE + "')");
        tEnv.useCatalog(CATALOG);
        for (int i = 0; i < prelude.size(); i++) {
            try {
                tEnv.executeSql(prelude.get(i));
            } catch (RuntimeException e) {
                emit(error("catalog", i, e));
                System.exit(2);
            }
        }
        if ("query".equals(action)) {
            query(tEnv, statements, rows, timeoutMs);
        } else {
            for (int i = 0; i < statements.size(); i++) {
                try {
                    tEnv.executeSql(statements.get(i));
                } catch (RuntimeException e) {
                    emit(error("statement", i, e));
                    System.exit(2);
                }
            }
            String broken = brokenView(tEnv);
            if (broken != null) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("type", "error");
                line.put("where", "view");  // positions in it are the view's, not the statement's
                line.put("index", statements.size() - 1);
                line.put("message", broken);
                emit(line);
                System.exit(2);
            }
            emit(describe(tEnv));
        }
        System.exit(0);
    }

    // ------------------------------------------------------------------ query

    private static void query(TableEnvironment tEnv, List<String> statements, long limit,
            long timeoutMs) {
        String last = statements.isEmpty() ? "" : statements.get(statements.size() - 1);
        for (int i = 0; i < statements.size() - 1; i++) {  // SET / DDL before the query
            try {
                tEnv.executeSql(statements.get(i));
            } catch (RuntimeException e) {
                emit(error("statement", i, e));
                System.exit(2);
            }
        }
        TableResult result;
        try {
            result = tEnv.executeSql(last);
        } catch (RuntimeException e) {
            emit(error("statement", statements.size() - 1, e));
            System.exit(2);
            return;
        }
        Optional<JobClient> job = result.getJobClient();
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "schema");
        List<Map<String, Object>> columns = new ArrayList<>();
        for (Column column : result.getResolvedSchema().getColumns()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", column.getName());
            c.put("type", column.getDataType().getLogicalType().asSummaryString());
            columns.add(c);
        }
        schema.put("columns", columns);
        schema.put("jobId", job.map(j -> j.getJobID().toHexString()).orElse(null));
        emit(schema);
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(timeoutMs);
            } catch (InterruptedException e) {
                return;
            }
            end("timeout");
            job.ifPresent(SqlSession::cancel);
            System.exit(0);
        });
        watchdog.setDaemon(true);
        watchdog.start();
        long count = 0;
        String reason = "finished";
        try (CloseableIterator<Row> it = result.collect()) {
            while (it.hasNext()) {
                if (count >= limit) {
                    reason = "rows";
                    break;
                }
                Row row = it.next();
                List<Object> values = new ArrayList<>();
                for (int i = 0; i < row.getArity(); i++) {
                    Object v = row.getField(i);
                    values.add(v == null || v instanceof Number || v instanceof Boolean
                            ? v : v.toString());
                }
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("type", "row");
                line.put("kind", row.getKind().shortString());
                line.put("values", values);
                emit(line);
                count++;
            }
        } catch (Exception e) {
            emit(error("statement", statements.size() - 1, e));
            job.ifPresent(SqlSession::cancel);
            System.exit(3);
        }
        if (!"finished".equals(reason)) {
            job.ifPresent(SqlSession::cancel);
        }
        end(reason);
    }

    private static void cancel(JobClient job) {
        try {
            job.cancel().get();
        } catch (Exception e) {
            // already ended: nothing to cancel
        }
    }

    private static void end(String reason) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("type", "end");
        line.put("reason", reason);
        emit(line);
    }

    // ------------------------------------------------------------------ describe

    private static Map<String, Object> describe(TableEnvironment tEnv) throws Exception {
        Catalog catalog = tEnv.getCatalog(CATALOG).orElseThrow();
        List<Map<String, Object>> databases = new ArrayList<>();
        List<Map<String, Object>> objects = new ArrayList<>();
        for (String db : catalog.listDatabases()) {
            CatalogDatabase database = catalog.getDatabase(db);
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("name", db);
            d.put("comment", database.getComment());
            d.put("properties", database.getProperties());
            databases.add(d);
            for (String name : catalog.listFunctions(db)) {
                CatalogFunction function = catalog.getFunction(new ObjectPath(db, name));
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("kind", "FUNCTION");
                f.put("database", db);
                f.put("name", name);
                f.put("functionClass", function.getClassName());
                f.put("functionLanguage", function.getFunctionLanguage().name());
                List<String> uris = new ArrayList<>();
                for (ResourceUri uri : function.getFunctionResources()) {
                    uris.add(uri.getUri());
                }
                f.put("resources", uris);
                objects.add(f);
            }
            for (String name : catalog.listTables(db)) {
                objects.add(table(tEnv, catalog, db, name));
            }
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("type", "catalog");
        answer.put("databases", databases);
        answer.put("objects", objects);
        return answer;
    }

    /**
     * A view that no longer plans (its table or function was dropped or changed), said in
     * words; null when every view plans. Flink allows such a DROP, but the catalog would no
     * longer rebuild, so the statement is refused instead.
     */
    private static String brokenView(TableEnvironment tEnv) throws Exception {
        Catalog catalog = tEnv.getCatalog(CATALOG).orElseThrow();
        for (String db : catalog.listDatabases()) {
            for (String name : catalog.listViews(db)) {
                String path = quote(CATALOG) + "." + quote(db) + "." + quote(name);
                try {
                    tEnv.sqlQuery("SELECT * FROM " + path);
                } catch (RuntimeException e) {
                    return "view " + path + " would no longer work (" + e.getMessage()
                            + "): drop or replace the view first";
                }
            }
        }
        return null;
    }

    private static Map<String, Object> table(TableEnvironment tEnv, Catalog catalog, String db,
            String name) throws Exception {
        CatalogBaseTable table = catalog.getTable(new ObjectPath(db, name));
        boolean view = table.getTableKind() == CatalogBaseTable.TableKind.VIEW;
        String path = quote(CATALOG) + "." + quote(db) + "." + quote(name);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("kind", view ? "VIEW" : "TABLE");
        t.put("database", db);
        t.put("name", name);
        t.put("comment", table.getComment());
        t.put("options", table.getOptions());
        t.put("ddl", firstCell(tEnv.executeSql(
                (view ? "SHOW CREATE VIEW " : "SHOW CREATE TABLE ") + path)));
        if (table instanceof CatalogTable) {
            t.put("partitionKeys", ((CatalogTable) table).getPartitionKeys());
        }
        ResolvedSchema schema = table instanceof ResolvedCatalogBaseTable
                ? ((ResolvedCatalogBaseTable<?>) table).getResolvedSchema()
                : tEnv.from(path).getResolvedSchema();
        List<Map<String, Object>> columns = new ArrayList<>();
        for (Column column : schema.getColumns()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", column.getName());
            c.put("type", column.getDataType().getLogicalType().asSummaryString());
            c.put("nullable", column.getDataType().getLogicalType().isNullable());
            c.put("comment", column.getComment().orElse(null));
            if (column instanceof Column.ComputedColumn) {
                c.put("expression",
                        ((Column.ComputedColumn) column).getExpression().asSerializableString());
            }
            if (column instanceof Column.MetadataColumn) {
                Column.MetadataColumn m = (Column.MetadataColumn) column;
                c.put("metadataKey", m.getMetadataKey().orElse(column.getName()));
                c.put("virtual", m.isVirtual());
            }
            columns.add(c);
        }
        t.put("columns", columns);
        Optional<UniqueConstraint> key = schema.getPrimaryKey();
        if (key.isPresent()) {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("name", key.get().getName());
            k.put("columns", key.get().getColumns());
            k.put("enforced", key.get().isEnforced());
            t.put("primaryKey", k);
        }
        List<Map<String, Object>> watermarks = new ArrayList<>();
        for (WatermarkSpec spec : schema.getWatermarkSpecs()) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("column", spec.getRowtimeAttribute());
            w.put("expression", spec.getWatermarkExpression().asSerializableString());
            watermarks.add(w);
        }
        t.put("watermarks", watermarks);
        return t;
    }

    private static String firstCell(TableResult result) throws Exception {
        try (CloseableIterator<Row> it = result.collect()) {
            return it.hasNext() ? String.valueOf(it.next().getField(0)) : "";
        }
    }

    private static String quote(String identifier) {
        return "`" + identifier.replace("`", "``") + "`";
    }

    // ------------------------------------------------------------------ output

    private static Map<String, Object> error(String where, int index, Throwable e) {
        StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause();
                cause = cause.getCause()) {
            String text = cause.getMessage();
            if (text != null && !message.toString().contains(text)) {
                message.append("\nCaused by: ").append(text);
            }
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("type", "error");
        line.put("where", where);
        line.put("index", index);
        line.put("message", message.toString());
        return line;
    }

    private static void emit(Map<String, Object> line) {
        try {
            synchronized (OUT) {
                OUT.println("@@ms " + JSON.writeValueAsString(line));
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
