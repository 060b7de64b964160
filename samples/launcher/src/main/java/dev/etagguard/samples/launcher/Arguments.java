package dev.etagguard.samples.launcher;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A sample's command line: arguments {@code --name=value} with the names the sample takes; when a
 * name is given twice, the last value counts. Every problem is an {@link IllegalArgumentException}
 * whose message names the argument, which {@link SampleMain} reports with the usage (exit code 2).
 * Not thread-safe.
 */
public final class Arguments {

    private final Map<String, String> values;

    private Arguments(Map<String, String> values) {
        this.values = values;
    }

    /**
     * Reads {@code args}.
     *
     * @param names the names the sample takes, such as {@code --port}
     * @throws IllegalArgumentException for an argument without a value or with another name
     */
    public static Arguments parse(List<String> names, String... args) {
        Map<String, String> values = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            if (!names.contains(name)) {
                throw new IllegalArgumentException("unknown argument '" + arg + "'");
            }
            if (eq < 0) {
                throw new IllegalArgumentException("expected " + name + "=VALUE, got '" + arg + "'");
            }
            values.put(name, arg.substring(eq + 1));
        }
        return new Arguments(values);
    }

    /** {@code --port}: a port on 127.0.0.1, 0-65535 (0 picks a free one); {@code fallback} when absent. */
    public int port(int fallback) {
        int port = number("--port", fallback);
        if (port > 65535) {
            throw new IllegalArgumentException("--port must be 0-65535, got " + port);
        }
        return port;
    }

    /** A whole number {@code >= 0}; {@code fallback} when absent. */
    public int number(String name, int fallback) {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a number >= 0, got '" + value + "'");
        }
    }

    /** {@code on} or {@code off}; {@code fallback} when absent. */
    public boolean onOff(String name, boolean fallback) {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        return switch (value) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(name + " must be on or off, got '" + value + "'");
        };
    }

    /** One of {@code choices}; the first when absent. */
    public String oneOf(String name, List<String> choices) {
        String value = values.getOrDefault(name, choices.get(0));
        if (!choices.contains(value)) {
            throw new IllegalArgumentException("unknown " + name.substring(2) + " '" + value + "' (expected one of "
                    + String.join(", ", choices) + ")");
        }
        return value;
    }
}
