package io.leadership.spring;

import io.leadership.Term;

/**
 * Application event: the term that the last {@link LeadershipGranted} of election {@code name}
 * began has ended, and why. Never published without that grant before it.
 */
public record LeadershipRevoked(String name, String id, Term.Cause cause) {
}
