package dev.etagguard.spring;

import java.lang.System.Logger.Level;
import java.util.EnumSet;
import java.util.function.BooleanSupplier;

import jakarta.servlet.DispatcherType;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.web.servlet.AbstractFilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.boot.web.servlet.ServletContextInitializerBeans;

/**
 * Whether a write may wait for its resource's permit without a container thread: suspended, and
 * resumed by an ASYNC dispatch in which its handler runs. That dispatch passes the filters mapped
 * for ASYNC, so it is allowed only when every filter Boot registers for REQUEST dispatches is
 * registered for ASYNC ones too (Boot maps its own {@code OncePerRequestFilter}s and Spring
 * Security for all dispatcher types); otherwise a waiting write keeps its thread, as it would
 * without the starter, and the start-up log says which filter is the reason.
 */
final class AsyncDispatchCheck implements BooleanSupplier, SmartInitializingSingleton {

  private static final System.Logger LOG = System.getLogger(AsyncDispatchCheck.class.getName());

  private final ListableBeanFactory beanFactory;
  private volatile boolean allowed;

  AsyncDispatchCheck(ListableBeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public void afterSingletonsInstantiated() {
    String blocking = requestOnlyFilter(new ServletContextInitializerBeans(beanFactory));
    allowed = blocking == null;
    if (blocking != null) {
      LOG.log(Level.INFO, () -> "ETag Guard: writes waiting for their permit keep their thread, since the filter '"
          + blocking + "' runs on REQUEST dispatches but not on ASYNC ones");
    }
  }

  @Override
  public boolean getAsBoolean() {
    return allowed;
  }

  /** The name of a filter registered for REQUEST but not ASYNC dispatches, or {@code null}. */
  static @Nullable String requestOnlyFilter(Iterable<ServletContextInitializer> initializers) {
    for (ServletContextInitializer initializer : initializers) {
      if (initializer instanceof AbstractFilterRegistrationBean<?> registration && registration.isEnabled()) {
        EnumSet<DispatcherType> types = registration.determineDispatcherTypes();
        if (types.contains(DispatcherType.REQUEST) && !types.contains(DispatcherType.ASYNC)) {
          return registration.getFilterName();
        }
      }
    }
    return null;
  }
}
