package io.leadership;

/** Published on {@link Candidate#errors()} when a leader lost its key (deleted or taken over) and stepped down. */
public class LostLeadershipException extends RuntimeException {

    private final String key;

    public LostLeadershipException(String key, String message) {
        super(message);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
