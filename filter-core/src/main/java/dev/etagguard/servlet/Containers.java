package dev.etagguard.servlet;

import java.lang.System.Logger.Level;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletContext;

import org.jspecify.annotations.Nullable;

/**
 * What the {@code web.xml} filter knows of the containers whose waiting requests it can suspend
 * (the filter depends on no server: it recognizes them by their classes): Tomcat, which chooses a
 * dispatch's filters by a request attribute ({@link ServletGuard#forTomcatFilter}), and Jetty,
 * whose filter mappings it reads reflectively.
 */
final class Containers {

  private static final System.Logger LOG = System.getLogger(Containers.class.getName());

  private Containers() {
  }

  /** The request attribute by which Tomcat chooses the filters of a dispatch. */
  static final String TOMCAT_DISPATCHER_TYPE = "org.apache.catalina.core.DISPATCHER_TYPE";

  /** Whether {@code context} is Tomcat's: its filters' waiting requests can then be suspended ({@link ServletGuard#forTomcatFilter}). */
  static boolean tomcat(ServletContext context) {
    return context.getClass().getName().startsWith("org.apache.catalina.");
  }

  /**
   * For Jetty's contexts (ee10, ee11): whether, now, every filter of {@code context} that runs on
   * REQUEST dispatches runs on ASYNC ones too, and none on ASYNC dispatches only; a filter's
   * waiting requests can then be suspended and resumed by an ASYNC dispatch ({@link ServletGuard#forFilter}),
   * whose filters are the REQUEST ones. Read from Jetty's own mappings (reflectively: the filter
   * depends on no server) each time a request would wait, so a filter added later counts; the
   * answer is kept while the mappings are the same. {@code null} for other containers, or when
   * the mappings cannot be read.
   */
  static @Nullable BooleanSupplier jettyFiltersRunOnAsync(ServletContext context) {
    try {
      Object handler = null;
      for (Class<?> c = context.getClass(); c != null && handler == null; c = c.getSuperclass()) {
        Class<?> outer = c.getEnclosingClass();
        if (outer != null && outer.getName().startsWith("org.eclipse.jetty.")) {
          handler = outer.getMethod("getServletContextHandler", ServletContext.class).invoke(null, context);
        }
      }
      if (handler == null) {
        return null;
      }
      Object servletHandler = handler.getClass().getMethod("getServletHandler").invoke(handler);
      Method mappings = servletHandler.getClass().getMethod("getFilterMappings");
      AtomicReference<Object[]> checked = new AtomicReference<>();
      AtomicBoolean allowed = new AtomicBoolean();
      BooleanSupplier check = () -> {
        try {
          Object[] now = (Object[]) mappings.invoke(servletHandler);
          if (now != checked.get()) {
            allowed.set(requestFiltersRunOnAsync(now));
            checked.set(now);
          }
          return allowed.get();
        } catch (ReflectiveOperationException | RuntimeException e) {
          LOG.log(Level.DEBUG, () -> "Filter mappings of " + context + " not readable: waiting requests keep their thread", e);
          return false;
        }
      };
      check.getAsBoolean(); // readable now
      return check;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Filter mappings of " + context + " not readable: waiting requests keep their thread", e);
      return null;
    }
  }

  private static boolean requestFiltersRunOnAsync(Object @Nullable [] mappings) throws ReflectiveOperationException {
    if (mappings == null) {
      return true;
    }
    for (Object mapping : mappings) {
      Method appliesTo = mapping.getClass().getMethod("appliesTo", DispatcherType.class);
      if (!appliesTo.invoke(mapping, DispatcherType.REQUEST).equals(appliesTo.invoke(mapping, DispatcherType.ASYNC))) {
        return false;
      }
    }
    return true;
  }
}
