package runner

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"p2pmesh/sim/scenario"
)

// Under continuous churn each kill is judged by its own damage: a kill
// heals once its victims' neighbours have healed, while later kills go on.
// (Judged by the whole mesh, every kill would stay open until the churn
// stops.)
func TestEachKillHealsOnItsOwnDamage(t *testing.T) {
	t.Parallel()
	var y strings.Builder
	y.WriteString("name: kills\nseed: 5\ntimeline:\n  - at: 0s\n    start: {count: 40, over: 2s}\n")
	for s := 10; s < 30; s++ {
		fmt.Fprintf(&y, "  - at: %ds\n    kill: {count: 1, mode: crash}\n  - at: %d.5s\n    restart: {count: 1}\n", s, s)
	}
	y.WriteString("  - at: 40s\n    wait: 1s\nexpect:\n  - repair: {max: 10s}\n")
	sc, err := scenario.Parse("kills.yaml", []byte(y.String()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Report.Repairs) != 20 {
		t.Fatalf("%d repairs, want 20", len(res.Report.Repairs))
	}
	for _, rp := range res.Report.Repairs {
		if rp.RepairMS < 0 || rp.RepairMS > 5000 || rp.HealedAtMS >= 30000 && rp.AtMS < 24000 {
			t.Errorf("kill at %v ms healed at %v ms (repair %v ms): want each healed within 5 s, during the churn",
				rp.AtMS, rp.HealedAtMS, rp.RepairMS)
		}
		if rp.RepairMS != float64(time.Duration(rp.RepairMS)*time.Millisecond/repairPoll)*float64(repairPoll/time.Millisecond) {
			t.Errorf("repair %v ms is not a multiple of the %v poll", rp.RepairMS, repairPoll)
		}
	}
	if len(res.Failed) > 0 {
		t.Fatalf("failed: %+v", res.Failed)
	}
}
