package io.leadership.spring;

/**
 * Application event: this application's candidate in election {@code name} began a term with
 * {@code epoch} (a fencing token, strictly increasing across terms). Published on the candidate's
 * event thread, in order with {@link LeadershipRevoked}.
 */
public record LeadershipGranted(String name, String id, long epoch) {
}
