package dev.etagguard.jetty;

import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.util.component.LifeCycle;
import org.jspecify.annotations.Nullable;

/**
 * Whether access rules behind the guard decide who may read ({@link #lookup(Handler)}), looked
 * up again whenever a handler is added below the guard, removed, started or stopped (a webapp
 * deployed, its constraints configured as it starts): an inherited listener hears of every
 * handler below.
 */
final class SecurityWatch implements org.eclipse.jetty.util.component.Container.InheritedListener,
    LifeCycle.Listener {
  private final AtomicLong changes = new AtomicLong();
  private volatile @Nullable Checked checked;

  /** A lookup and the count of changes it saw. */
  private record Checked(long changes, boolean secured) {
  }

  boolean securedBehind(Handler next) {
    long now = changes.get();
    Checked c = checked;
    if (c != null && c.changes() == now) {
      return c.secured();
    }
    boolean secured = lookup(next);
    checked = new Checked(now, secured);
    return secured;
  }

  private void changed() {
    changes.incrementAndGet();
  }

  @Override
  public void beanAdded(org.eclipse.jetty.util.component.Container parent, Object child) {
    changed();
  }

  @Override
  public void beanRemoved(org.eclipse.jetty.util.component.Container parent, Object child) {
    changed();
  }

  @Override
  public void lifeCycleStarted(LifeCycle event) {
    changed();
  }

  @Override
  public void lifeCycleStopped(LifeCycle event) {
    changed();
  }

  /**
   * Whether a Jetty {@code SecurityHandler} that may refuse a GET is behind {@code next} (an ee
   * {@code ConstraintSecurityHandler} with a constraint mapping for GET or all methods that does not
   * allow everyone on any transport, or a security handler of another kind): it decides who may read,
   * after this handler, so the validator store must not answer first. The mappings of Jetty's
   * webdefault (TRACE forbidden, everything else allowed) restrict no read.
   */
  static boolean lookup(Handler next) {
    java.util.List<Handler> handlers = next instanceof Handler.Container c ? c.getDescendants() : java.util.List.of();
    if (isSecurity(next)) {
      return true;
    }
    for (Handler h : handlers) {
      if (isSecurity(h)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isSecurity(Handler h) {
    for (Class<?> c = h.getClass(); c != null; c = c.getSuperclass()) {
      if (c.getName().equals("org.eclipse.jetty.security.SecurityHandler")) {
        try {
          Object mappings = h.getClass().getMethod("getConstraintMappings").invoke(h);
          if (!(mappings instanceof java.util.Collection<?> list)) {
            return true;
          }
          for (Object mapping : list) {
            if (restrictsReads(mapping)) {
              return true;
            }
          }
          return false;
        } catch (ReflectiveOperationException | RuntimeException e) {
          return true; // a security handler of another kind: it may constrain anything
        }
      }
    }
    return false;
  }

  /** Whether an ee {@code ConstraintMapping} may refuse a GET or a HEAD. */
  private static boolean restrictsReads(Object mapping) throws ReflectiveOperationException {
    Class<?> type = mapping.getClass();
    String method = (String) type.getMethod("getMethod").invoke(mapping);
    String[] omissions = (String[]) type.getMethod("getMethodOmissions").invoke(mapping);
    if (!appliesTo(method, omissions, "GET") && !appliesTo(method, omissions, "HEAD")) {
      return false;
    }
    Object constraint = type.getMethod("getConstraint").invoke(mapping);
    if (constraint == null) {
      return false;
    }
    // The public type: an implementation class of Jetty's may not be accessible.
    Class<?> api = Class.forName("org.eclipse.jetty.security.Constraint", false, constraint.getClass().getClassLoader());
    Object authorization = api.getMethod("getAuthorization").invoke(constraint);
    Object transport = api.getMethod("getTransport").invoke(constraint);
    boolean allowed = authorization != null && "ALLOWED".equals(((Enum<?>) authorization).name());
    boolean anyTransport = transport == null || !"SECURE".equals(((Enum<?>) transport).name());
    return !(allowed && anyTransport);
  }

  private static boolean appliesTo(@Nullable String method, String @Nullable [] omissions, String read) {
    if (method != null && !method.equals("*")) {
      return method.equalsIgnoreCase(read);
    }
    return omissions == null || java.util.Arrays.stream(omissions).noneMatch(read::equalsIgnoreCase);
  }

}
