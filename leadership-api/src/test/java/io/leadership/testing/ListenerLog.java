package io.leadership.testing;

import io.leadership.LeadershipListener;
import io.leadership.Term;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link LeadershipListener} that notes "elected" and "revoked", in the order it hears them. */
public final class ListenerLog implements LeadershipListener {

    public final List<String> heard = new CopyOnWriteArrayList<>();

    @Override
    public void elected(Term term) {
        heard.add("elected");
    }

    @Override
    public void revoked(Term term) {
        heard.add("revoked");
    }
}
