package dev.etagguard.spring;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import dev.etagguard.servlet.ETagGuardFilter;

import jakarta.servlet.DispatcherType;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.boot.web.servlet.ServletContextInitializerBeans;
import org.springframework.web.filter.ShallowEtagHeaderFilter;

/**
 * Logs one warning at start when Spring's {@link ShallowEtagHeaderFilter} is registered beside
 * ETag Guard, as a bean or through a {@code FilterRegistrationBean}, saying how the two combine.
 *
 * <p>Both compute strong ETags from the body, but they never double-tag: the shallow filter keeps
 * an ETag that is already set, and ETag Guard keeps the handler's. So whichever runs inside sets
 * the tag, and the other keeps it:
 *
 * <ul>
 *   <li>the shallow filter inside ETag Guard (the usual case: a filter bean has the lowest
 *       precedence): its MD5 tag is the handler's ETag for ETag Guard, which stores and checks it;
 *       ETag Guard's internal GETs must pass through it too, so it must be mapped for FORWARD
 *       dispatches, as Spring Boot maps every {@code OncePerRequestFilter} by default;
 *   <li>the shallow filter outside ETag Guard: ETag Guard's SHA-256 tag is kept, and the shallow
 *       filter only buffers the body a second time.
 * </ul>
 *
 * Either way the shallow filter adds nothing but work: the warning says to remove it.
 */
final class ShallowEtagHeaderFilterCheck implements SmartInitializingSingleton {

  static final String SHALLOW_FILTER = "org.springframework.web.filter.ShallowEtagHeaderFilter";

  private static final System.Logger LOG = System.getLogger(ShallowEtagHeaderFilterCheck.class.getName());

  private final ListableBeanFactory beanFactory;

  ShallowEtagHeaderFilterCheck(ListableBeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public void afterSingletonsInstantiated() {
    String warning = warning(new ServletContextInitializerBeans(beanFactory));
    if (warning != null) {
      LOG.log(Level.WARNING, warning);
    }
  }

  /** The warning about the filters Boot will register, in its order, or {@code null}. */
  static @Nullable String warning(Iterable<ServletContextInitializer> initializers) {
    FilterRegistrationBean<?> guard = null;
    List<FilterRegistrationBean<?>> shallow = new ArrayList<>();
    for (ServletContextInitializer initializer : initializers) {
      if (initializer instanceof FilterRegistrationBean<?> registration && registration.isEnabled()) {
        if (registration.getFilter() instanceof ETagGuardFilter && guard == null) {
          guard = registration;
        } else if (registration.getFilter() instanceof ShallowEtagHeaderFilter) {
          shallow.add(registration);
        }
      }
    }
    if (guard == null || shallow.isEmpty()) {
      return null;
    }
    StringBuilder message = new StringBuilder("ETag Guard: Spring's ShallowEtagHeaderFilter is registered too. ");
    for (FilterRegistrationBean<?> s : shallow) {
      String name = "'" + s.getFilterName() + "' (order " + s.getOrder() + ")";
      if (s.getOrder() < guard.getOrder()) {
        message.append(name).append(" runs before ETag Guard (order ").append(guard.getOrder())
            .append(") and keeps ETag Guard's ETags, since it never replaces an ETag that is set. ");
      } else {
        message.append(name).append(" runs after ETag Guard (order ").append(guard.getOrder())
            .append("): its MD5 ETags are what ETag Guard stores and checks, as a handler's own. ");
        EnumSet<DispatcherType> types = s.determineDispatcherTypes();
        if (!types.contains(DispatcherType.FORWARD)) {
          message.append("It is not mapped for FORWARD dispatches (only ").append(types)
              .append("), so ETag Guard's internal GETs see other ETags than clients do and conditional "
                  + "writes may fail with 412: map it for FORWARD too, or remove it. ");
        }
      }
    }
    message.append("Either way it only adds work: ETag Guard already generates strong ETags and answers "
        + "conditional requests, so remove the ShallowEtagHeaderFilter.");
    return message.toString();
  }
}
