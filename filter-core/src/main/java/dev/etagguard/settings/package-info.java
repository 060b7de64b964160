/**
 * The options, declared once ({@link dev.etagguard.settings.GuardSettings#options()}, each an
 * {@link dev.etagguard.settings.Option}), and the settings every host builds from them, in code
 * or from text (web.xml, server.xml, a jetty-base, Spring properties).
 *
 * @since 0.3
 */
@NullMarked
package dev.etagguard.settings;

import org.jspecify.annotations.NullMarked;
