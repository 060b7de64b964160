package dev.etagguard.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

import org.jspecify.annotations.Nullable;

/**
 * The request and response a suspended request is started async with, in a host whose container
 * runs the application itself in the ASYNC dispatch that resumes it (the Tomcat valve): the
 * container hands the application these two, so before the handler runs they are pointed at the
 * guard's wrappers (which hold the content the guard received), and the request says it is a
 * REQUEST, also where the container asks which filters to run ({@code dispatcherTypeAttribute}),
 * so the application's REQUEST filters run, as they would have had the request never waited.
 */
final class Relay {

  final RelayedRequest request;
  final RelayedResponse response;

  /**
   * @param strict whether the container asks which filters to run only after the guard resumed
   *     the request and pointed the relays (the valve, which runs before the webapp): a relay
   *     asked before refuses, so a webapp reached by a dispatch the guard did not resume (the
   *     valve stopped while the request waited) does not run a write whose permit is not held
   */
  Relay(HttpServletRequest request, HttpServletResponse response, String dispatcherTypeAttribute, boolean strict) {
    this.request = new RelayedRequest(request, dispatcherTypeAttribute, strict);
    this.response = new RelayedResponse(response);
  }

  /** The handler is about to run with {@code request} and {@code response}: the container's dispatch hands these on. */
  void point(HttpServletRequest to, HttpServletResponse with) {
    request.setRequest(to);
    response.setResponse(with);
    request.pointed = true;
  }

  /** The resuming dispatch is over: a later one (of a cycle the handler started) is the container's ASYNC one. */
  void retire() {
    request.retired = true;
  }

  static final class RelayedRequest extends HttpServletRequestWrapper {
    private final String dispatcherTypeAttribute;
    private final boolean strict;
    volatile boolean pointed;
    volatile boolean retired;

    RelayedRequest(HttpServletRequest request, String dispatcherTypeAttribute, boolean strict) {
      super(request);
      this.dispatcherTypeAttribute = dispatcherTypeAttribute;
      this.strict = strict;
    }

    @Override
    public DispatcherType getDispatcherType() {
      DispatcherType type = super.getDispatcherType();
      return !retired && type == DispatcherType.ASYNC ? DispatcherType.REQUEST : type;
    }

    /**
     * The dispatch's type, where the container asks which filters to run: the resuming ASYNC
     * dispatch is the request's own REQUEST one; a forward or include the handler makes in it
     * is one.
     */
    @Override
    public @Nullable Object getAttribute(String name) {
      Object value = super.getAttribute(name);
      if (retired || !dispatcherTypeAttribute.equals(name)) {
        return value;
      }
      if (strict && !pointed) {
        throw new IllegalStateException("ETag Guard: a request suspended for its permit reached the application"
            + " without the guard (it stopped while the request waited); not run");
      }
      return value == DispatcherType.ASYNC ? DispatcherType.REQUEST : value;
    }
  }

  static final class RelayedResponse extends HttpServletResponseWrapper {
    RelayedResponse(HttpServletResponse response) {
      super(response);
    }
  }
}
