package io.leadership.spring;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

/** {@code leadership}: this application's id and, for each election, its leader, epoch and participants. */
public final class LeadershipInfoContributor implements InfoContributor {

    private final String id;
    private final List<Election> elections;

    public LeadershipInfoContributor(String id, List<Election> elections) {
        this.id = id;
        this.elections = List.copyOf(elections);
    }

    @Override
    public void contribute(Info.Builder builder) {
        Map<String, Object> byName = new LinkedHashMap<>();
        elections.forEach(e -> byName.put(e.name(), describe(e)));
        builder.withDetail("leadership", Map.of("id", id, "elections", byName));
    }

    /** leader, leading, epoch (while leading) and participants of one election. */
    static Map<String, Object> describe(Election e) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("leader", e.leader().orElse(null));
        detail.put("leading", e.isLeader());
        e.epoch().ifPresent(epoch -> detail.put("epoch", epoch));
        detail.put("participants", e.participants());
        return detail;
    }
}
