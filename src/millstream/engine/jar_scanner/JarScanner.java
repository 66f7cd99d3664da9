package millstream.engine;

import java.io.File;
import java.io.InputStream;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.description.HtmlFormatter;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableSinkFactory;
import org.apache.flink.table.factories.DynamicTableSourceFactory;
import org.apache.flink.table.factories.Factory;
import org.apache.flink.table.factories.SerializationFormatFactory;
import org.apache.flink.table.functions.AggregateFunction;
import org.apache.flink.table.functions.AsyncScalarFunction;
import org.apache.flink.table.functions.AsyncTableFunction;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.table.functions.TableAggregateFunction;
import org.apache.flink.table.functions.TableFunction;

/**
 * Lists what a user jar offers to Flink SQL, for Millstream's UDF artifacts and custom
 * connectors (engine/jar_scanner/__init__.py runs it with Flink's lib on the class path).
 *
 * <pre>
 *   JarScanner udfs JAR [DEPENDENCY...]        one line per function class:
 *       class&lt;TAB&gt;KIND&lt;TAB&gt;class name           KIND: SCALAR, TABLE, AGGREGATE, ...
 *   JarScanner connectors JAR [DEPENDENCY...]  one block per table factory of JAR's
 *       META-INF/services/org.apache.flink.table.factories.Factory:
 *       connector&lt;TAB&gt;identifier&lt;TAB&gt;class&lt;TAB&gt;source&lt;TAB&gt;sink
 *       option&lt;TAB&gt;key&lt;TAB&gt;required&lt;TAB&gt;sensitive&lt;TAB&gt;default&lt;TAB&gt;description
 *       format&lt;TAB&gt;identifier                  (formats the class path offers)
 *       builtin&lt;TAB&gt;identifier                 (factories Flink itself has)
 * </pre>
 *
 * Classes are loaded (not initialised) through a class loader over the jar and its
 * dependencies whose parent has Flink, so inherited function types count: a class is a
 * scalar function when ScalarFunction is among its superclasses, wherever they live.
 * Problems go to stdout as "warning" lines; exit code 2 means the jar cannot be read.
 * Field values are escaped (backslash, tab, newline) so every record is one line.
 */
public final class JarScanner {

    private JarScanner() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: JarScanner udfs|connectors JAR [DEPENDENCY...]");
            System.exit(64);
        }
        URL[] urls = new URL[args.length - 1];
        for (int i = 1; i < args.length; i++) {
            urls[i - 1] = new File(args[i]).toURI().toURL();
        }
        JarFile jar;
        try {
            jar = new JarFile(args[1]);
        } catch (Exception e) {
            System.out.println("error\t" + esc("not a jar (zip) file: " + e.getMessage()));
            System.exit(2);
            return;
        }
        try (URLClassLoader loader =
                new URLClassLoader(urls, JarScanner.class.getClassLoader())) {
            Thread.currentThread().setContextClassLoader(loader);
            if ("udfs".equals(args[0])) {
                udfs(jar, loader);
            } else {
                connectors(jar, loader);
            }
        } finally {
            jar.close();
        }
        System.out.flush();
    }

    private static void udfs(JarFile jar, ClassLoader loader) {
        Set<String> names = new TreeSet<>();
        Enumeration<JarEntry> entries = jar.entries();
        while (entries.hasMoreElements()) {
            String name = entries.nextElement().getName();
            if (name.endsWith(".class")
                    && !name.startsWith("META-INF/")
                    && !name.endsWith("module-info.class")
                    && !name.endsWith("package-info.class")) {
                names.add(name.substring(0, name.length() - 6).replace('/', '.'));
            }
        }
        for (String name : names) {
            Class<?> cls;
            try {
                cls = Class.forName(name, false, loader);
            } catch (Throwable e) {
                System.out.println("warning\t" + esc(name + ": " + e));
                continue;
            }
            int modifiers = cls.getModifiers();
            if (!Modifier.isPublic(modifiers)
                    || Modifier.isAbstract(modifiers)
                    || cls.isInterface()
                    || (cls.isMemberClass() && !Modifier.isStatic(modifiers))) {
                continue;
            }
            String kind = kind(cls);
            if (kind != null) {
                System.out.println("class\t" + kind + "\t" + esc(cls.getName()));
            }
        }
    }

    private static String kind(Class<?> cls) {
        if (ScalarFunction.class.isAssignableFrom(cls)) {
            return "SCALAR";
        }
        if (TableFunction.class.isAssignableFrom(cls)) {
            return "TABLE";
        }
        if (TableAggregateFunction.class.isAssignableFrom(cls)) {
            return "TABLE_AGGREGATE";
        }
        if (AggregateFunction.class.isAssignableFrom(cls)) {
            return "AGGREGATE";
        }
        if (AsyncScalarFunction.class.isAssignableFrom(cls)) {
            return "ASYNC_SCALAR";
        }
        if (AsyncTableFunction.class.isAssignableFrom(cls)) {
            return "ASYNC_TABLE";
        }
        return null;
    }

    private static void connectors(JarFile jar, ClassLoader loader) throws Exception {
        JarEntry services = jar.getJarEntry("META-INF/services/" + Factory.class.getName());
        if (services == null) {
            return;
        }
        List<String> classes = new ArrayList<>();
        try (InputStream in = jar.getInputStream(services)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String name = line.replaceAll("#.*", "").trim();
                if (!name.isEmpty()) {
                    classes.add(name);
                }
            }
        }
        // Identifiers Flink already has: a jar declaring one again makes every job that
        // names it fail ("multiple factories"), so the caller refuses it up front.
        for (Factory factory :
                java.util.ServiceLoader.load(Factory.class, JarScanner.class.getClassLoader())) {
            System.out.println("builtin\t" + esc(factory.factoryIdentifier()));
        }
        boolean formats = false;
        for (String name : classes) {
            Factory factory;
            try {
                factory =
                        (Factory) Class.forName(name, true, loader)
                                .getDeclaredConstructor()
                                .newInstance();
            } catch (Throwable e) {
                System.out.println("warning\t" + esc(name + ": " + e));
                continue;
            }
            boolean source = factory instanceof DynamicTableSourceFactory;
            boolean sink = factory instanceof DynamicTableSinkFactory;
            if (!source && !sink) {
                continue; // formats, catalogs, modules: not connectors
            }
            System.out.println(
                    "connector\t" + esc(factory.factoryIdentifier()) + "\t" + esc(name) + "\t"
                            + source + "\t" + sink);
            for (ConfigOption<?> option : factory.requiredOptions()) {
                option(option, true);
            }
            for (ConfigOption<?> option : factory.optionalOptions()) {
                option(option, false);
                formats |= option.key().equals("format") || option.key().endsWith(".format");
            }
        }
        if (formats) {
            Set<String> identifiers = new LinkedHashSet<>();
            for (Factory factory : java.util.ServiceLoader.load(Factory.class, loader)) {
                if (factory instanceof DeserializationFormatFactory
                        || factory instanceof SerializationFormatFactory) {
                    identifiers.add(factory.factoryIdentifier());
                }
            }
            for (String identifier : new TreeSet<>(identifiers)) {
                System.out.println("format\t" + esc(identifier));
            }
        }
    }

    private static void option(ConfigOption<?> option, boolean required) {
        String description = "";
        try {
            description = new HtmlFormatter().format(option.description());
        } catch (Throwable ignored) {
            // a description Flink cannot render is left out
        }
        String fallback = option.hasDefaultValue() ? String.valueOf(option.defaultValue()) : "";
        System.out.println(
                "option\t" + esc(option.key()) + "\t" + required + "\t"
                        + GlobalConfiguration.isSensitive(option.key()) + "\t"
                        + (option.hasDefaultValue() ? "1" + esc(fallback) : "0") + "\t"
                        + esc(description));
    }

    private static String esc(String text) {
        if (text == null) {
            return "";
        }
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "");
    }
}
