package dev.etagguard.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;

import org.junit.jupiter.api.Test;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.web.filter.CharacterEncodingFilter;

/** Which registered filters keep a waiting write on its thread (see {@link AsyncDispatchCheck}). */
class AsyncDispatchCheckTest {

  private static final Filter PLAIN = (request, response, chain) -> chain.doFilter(request, response);

  @Test
  void aPlainFilterBeanRunsOnRequestsOnlyAndKeepsWritersOnTheirThreads() {
    FilterRegistrationBean<Filter> plain = new FilterRegistrationBean<>(PLAIN);
    plain.setName("plain");
    assertThat(AsyncDispatchCheck.requestOnlyFilter(List.<ServletContextInitializer>of(plain))).isEqualTo("plain");
  }

  @Test
  void bootsOncePerRequestFiltersAndFiltersMappedForAsyncLetWritersWaitWithoutOne() {
    FilterRegistrationBean<Filter> encoding = new FilterRegistrationBean<>(new CharacterEncodingFilter());
    FilterRegistrationBean<Filter> mapped = new FilterRegistrationBean<>(PLAIN);
    mapped.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
    FilterRegistrationBean<Filter> disabled = new FilterRegistrationBean<>(PLAIN);
    disabled.setEnabled(false);
    FilterRegistrationBean<Filter> errorsOnly = new FilterRegistrationBean<>(PLAIN);
    errorsOnly.setDispatcherTypes(DispatcherType.ERROR);
    assertThat(AsyncDispatchCheck.requestOnlyFilter(
        List.<ServletContextInitializer>of(encoding, mapped, disabled, errorsOnly))).isNull();
  }
}
