package dev.etagguard.settings;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * One configuration option: its name, the {@link Kind} of value it takes, its default as written in
 * configuration, a one-line description, and how a value reaches the builder it configures.
 *
 * <p>{@link GuardSettings#options()} is ETag Guard's table of options, and every way of configuring
 * the guard is driven by it. Web.xml init-params and context parameters, Tomcat Valve attributes
 * and the jetty-home module's properties arrive as text ({@link #set(Object, String)}, through
 * {@link GuardSettings#fromOptions(java.util.Map)}); Spring Boot binds each option with the Java
 * type of its kind and hands the typed value over ({@link #setValue(Object, Object)}); the Spring
 * configuration metadata and the jetty-home module's files are generated from the table. A module
 * with a builder of its own declares its options the same way, with its builder as {@code B}.
 *
 * <p>Both ways treat a blank value as the default (the builder is left as it is) and reject a
 * malformed one with an {@link IllegalArgumentException} whose message names the option and the
 * value, the same message whichever way the value came.
 *
 * <p>Immutable and thread-safe; the builders it sets are not.
 *
 * @param <B> the builder the option configures
 * @since 0.1
 */
public final class Option<B> {

  private final String name;
  private final Kind<?> kind;
  private final String defaultValue;
  private final String description;
  private final BiConsumer<B, Object> setter;
  private final Function<B, ?> reader;

  private Option(String name, Kind<?> kind, String defaultValue, String description, BiConsumer<B, Object> setter,
      Function<B, ?> reader) {
    this.name = name;
    this.kind = kind;
    this.defaultValue = defaultValue;
    this.description = description;
    this.setter = setter;
    this.reader = reader;
  }

  /**
   * An option.
   *
   * @param name the name, the same in every adapter (Spring Boot uses its kebab-case form)
   * @param kind the kind of value
   * @param defaultValue the default as written in configuration ({@code ""} for none); a builder
   *     starts from it
   * @param description one line for documentation (configuration metadata, the jetty-home module)
   * @param setter gives a builder a value of the option's kind; it throws
   *     {@link IllegalArgumentException} for a value out of range
   * @param reader the option's value in a builder, as the builder holds it (for display)
   * @param <B> the builder the option configures
   * @param <T> the Java type of the kind's values
   */
  public static <B, T> Option<B> of(String name, Kind<T> kind, String defaultValue, String description,
      BiConsumer<B, ? super T> setter, Function<B, ?> reader) {
    return new Option<>(name, kind, defaultValue, description, (b, v) -> setter.accept(b, kind.type().cast(v)), reader);
  }

  /** The name, the same in every adapter. */
  public String name() {
    return name;
  }

  /** The kind of value the option takes. */
  public Kind<?> kind() {
    return kind;
  }

  /** The default as written in configuration; {@code ""} when the default is none. */
  public String defaultValue() {
    return defaultValue;
  }

  /** One line saying what the option does. */
  public String description() {
    return description;
  }

  /**
   * Sets the option from text, as configuration files give it. Blank (or {@code null}) leaves the
   * builder as it is.
   *
   * @throws IllegalArgumentException naming the option and the value, for a malformed value
   */
  public void set(B builder, @Nullable String text) {
    String value = text == null ? "" : text.strip();
    if (value.isEmpty()) {
      return;
    }
    try {
      setter.accept(builder, kind.parse(value));
    } catch (IllegalArgumentException | DateTimeParseException e) {
      throw invalid(value, e);
    }
  }

  /**
   * Sets the option from a typed value: an instance of {@link Kind#type()} ({@code List<String>}
   * for {@link Kind#LIST}, bytes for {@link Kind#SIZE}). A value that is blank as text (an empty
   * list or string), or {@code null}, leaves the builder as it is.
   *
   * @throws IllegalArgumentException naming the option and the value, for a value of another type or
   *     out of range
   */
  public void setValue(B builder, @Nullable Object value) {
    if (value == null) {
      return;
    }
    String shown = kind.show(value);
    if (shown.isBlank()) {
      return;
    }
    try {
      setter.accept(builder, kind.typed(value));
    } catch (IllegalArgumentException e) {
      throw invalid(shown, e);
    }
  }

  /**
   * Hands a value of this option to another builder that checks it further (a shared store's, for
   * the options only its store reads): an {@link IllegalArgumentException} that {@code setter}
   * throws comes out with the message {@link #set(Object, String)} gives, naming this option.
   *
   * @param value the option's value, as the settings hold it
   * @param setter the other builder's method
   * @param <V> the value's type
   * @throws IllegalArgumentException naming the option and the value, when {@code setter} refuses it
   * @since 0.1
   */
  public <V> void passTo(V value, java.util.function.Consumer<? super V> setter) {
    try {
      setter.accept(value);
    } catch (IllegalArgumentException e) {
      throw invalid(kind.show(value), e);
    }
  }

  /** The option's value in {@code builder}, as the builder holds it. */
  public Object valueIn(B builder) {
    return reader.apply(builder);
  }

  private IllegalArgumentException invalid(String value, RuntimeException cause) {
    return new IllegalArgumentException("Invalid value '" + value + "' for ETag Guard option '" + name + "': "
        + cause.getMessage(), cause);
  }

  /** The name. */
  @Override
  public String toString() {
    return name;
  }

  /** The items of a list: separated by commas or white space, empty ones dropped. */
  static List<String> items(String text) {
    List<String> items = new ArrayList<>();
    for (String item : text.split("[,\\s]+")) {
      if (!item.isEmpty()) {
        items.add(item);
      }
    }
    return List.copyOf(items);
  }

  /**
   * The kind of value an option takes: the syntax of its text and the Java type of its typed
   * values. Immutable; the kinds are the constants here and {@link #choice(Class)}.
   *
   * @param <T> the Java type of the values
   * @since 0.1
   */
  public static class Kind<T> {

    /** The largest {@link #SIZE}: a little under 2 GiB, the most a Java array holds. */
    public static final long MAX_SIZE = Integer.MAX_VALUE - 8;

    /** {@code true} or {@code false}, in any case; typed {@link Boolean}. */
    public static final Kind<Boolean> BOOLEAN = new Kind<>("boolean", Boolean.class, Kind::parseBoolean);

    /** A decimal {@code int}; typed {@link Integer}. */
    public static final Kind<Integer> INTEGER = new Kind<>("integer", Integer.class, Kind::parseInt);

    /** A decimal {@code long}; typed {@link Long}. */
    public static final Kind<Long> LONG = new Kind<>("long", Long.class, Kind::parseLong);

    /**
     * A byte count, {@code 1048576}, {@code 64KiB}, {@code 1MiB} (also {@code KB}, {@code MB},
     * {@code K}, {@code M} and {@code B}, all powers of 1024), from 0 to {@link #MAX_SIZE}; typed
     * {@link Long}, in bytes.
     */
    public static final Kind<Long> SIZE = new Kind<>("size", Long.class, Kind::parseSize) {
      @Override
      Long typed(Object value) {
        return checkSize(super.typed(value));
      }
    };

    /**
     * A duration, {@code 10s}, {@code 500ms}, {@code 2m}, {@code 4h}, {@code 1d} or ISO-8601
     * {@code PT10S}; a bare number is milliseconds. Typed {@link Duration}.
     */
    public static final Kind<Duration> DURATION = new Kind<>("duration", Duration.class, Kind::parseDuration);

    /**
     * Items (paths, names) separated by commas or white space; typed {@code List<String>}, whose
     * elements are split the same way.
     */
    public static final Kind<List<String>> LIST = new Kind<>("list", listType(), Option::items) {
      @Override
      List<String> typed(Object value) {
        List<String> items = new ArrayList<>();
        for (Object element : super.typed(value)) {
          items.addAll(items(String.valueOf(element)));
        }
        return List.copyOf(items);
      }

      @Override
      String show(Object value) {
        List<String> elements = new ArrayList<>();
        for (Object element : super.typed(value)) {
          elements.add(String.valueOf(element));
        }
        return String.join(",", elements);
      }
    };

    /** Text in a syntax of the option's own; typed {@link String}. */
    public static final Kind<String> TEXT = new Kind<>("text", String.class, text -> text);

    private final String name;
    private final Class<T> type;
    private final Function<String, T> parser;

    private Kind(String name, Class<T> type, Function<String, T> parser) {
      this.name = name;
      this.type = type;
      this.parser = parser;
    }

    /**
     * One of the constants of an enum, by name in any case, written in lower case; typed
     * {@code type}.
     */
    public static <E extends Enum<E>> Kind<E> choice(Class<E> type) {
      List<String> names = new ArrayList<>();
      for (E constant : type.getEnumConstants()) {
        names.add(constant.name().toLowerCase(Locale.ROOT));
      }
      String last = names.remove(names.size() - 1);
      String expected = "expected " + (names.isEmpty() ? last : String.join(", ", names) + " or " + last);
      return new Kind<>("choice", type, text -> {
        try {
          return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(expected);
        }
      }) {
        @Override
        String show(Object value) {
          return value instanceof Enum<?> constant ? constant.name().toLowerCase(Locale.ROOT) : super.show(value);
        }
      };
    }

    /** The Java type of typed values. */
    public Class<T> type() {
      return type;
    }

    /** The name of the kind: {@code boolean}, {@code integer}, {@code long}, {@code size}, ... */
    @Override
    public String toString() {
      return name;
    }

    /** The value of a stripped, non-blank text. */
    T parse(String text) {
      return parser.apply(text);
    }

    /** A typed value, checked as text would be. */
    T typed(Object value) {
      if (!type.isInstance(value)) {
        throw new IllegalArgumentException("expected a " + name + ", not a " + value.getClass().getName());
      }
      return type.cast(value);
    }

    /** A typed value as text, for messages; blank when it means the default. */
    String show(Object value) {
      return String.valueOf(value);
    }

    @SuppressWarnings("unchecked")
    private static Class<List<String>> listType() {
      return (Class<List<String>>) (Class<?>) List.class;
    }

    private static boolean parseBoolean(String v) {
      return switch (v.toLowerCase(Locale.ROOT)) {
        case "true" -> true;
        case "false" -> false;
        default -> throw new IllegalArgumentException("expected true or false");
      };
    }

    private static int parseInt(String v) {
      try {
        return Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected an integer");
      }
    }

    private static long parseLong(String v) {
      try {
        return Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected an integer");
      }
    }

    private static long parseSize(String v) {
      String s = v.replace("_", "").strip().toUpperCase(Locale.ROOT);
      long unit = 1;
      for (String[] suffix : new String[][] {{"KIB", "1024"}, {"MIB", "1048576"}, {"KB", "1024"}, {"MB", "1048576"},
          {"K", "1024"}, {"M", "1048576"}, {"B", "1"}}) {
        if (s.endsWith(suffix[0])) {
          unit = Long.parseLong(suffix[1]);
          s = s.substring(0, s.length() - suffix[0].length()).strip();
          break;
        }
      }
      try {
        return checkSize(Math.multiplyExact(Long.parseLong(s), unit));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a size such as 1048576, 64KiB or 1MiB");
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("size out of range");
      }
    }

    private static long checkSize(long bytes) {
      if (bytes < 0 || bytes > MAX_SIZE) {
        throw new IllegalArgumentException("size out of range");
      }
      return bytes;
    }

    private static Duration parseDuration(String v) {
      String s = v.toLowerCase(Locale.ROOT);
      if (s.startsWith("p")) {
        return Duration.parse(v);
      }
      try {
        if (s.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).strip()));
        }
        if (s.endsWith("s")) {
          return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1).strip()));
        }
        if (s.endsWith("m")) {
          return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1).strip()));
        }
        if (s.endsWith("h")) {
          return Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1).strip()));
        }
        if (s.endsWith("d")) {
          return Duration.ofDays(Long.parseLong(s.substring(0, s.length() - 1).strip()));
        }
        return Duration.ofMillis(Long.parseLong(s));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a duration such as 10s, 500ms or PT10S");
      }
    }
  }
}
