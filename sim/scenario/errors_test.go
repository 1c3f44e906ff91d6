package scenario

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// head is a valid beginning that most bad files extend.
const head = "name: bad\ntimeline:\n  - start: {count: 4}\n"

func TestBadFiles(t *testing.T) {
	for _, c := range []struct {
		name string
		src  string
		pos  string // line:col of the first error
		msg  string // substring of its message
	}{
		{"unknown top-level key", "nmae: x\ntimeline:\n  - wait: 1s\n", "1:1", `unknown key "nmae" (did you mean "name"?)`},
		{"unknown top-level key far", head + "colour: red\n", "4:1", `unknown key "colour" (expected one of name, description`},
		{"missing name", "timeline:\n  - wait: 1s\n", "1:1", `missing required key "name"`},
		{"missing timeline", "name: x\n", "1:1", `missing required key "timeline"`},
		{"bad scenario name", "name: Big Name\ntimeline: [{wait: 1s}]\n", "1:7", `invalid scenario name "Big Name"`},
		{"unknown action", head + "  - explode: {}\n", "4:5",
			`unknown action "explode" (expected one of start, kill, restart, partition, heal, broadcast, snapshot, check, wait)`},
		{"misspelt action", head + "  - brodcast: {}\n", "4:5", `unknown action "brodcast" (did you mean "broadcast"?)`},
		{"string for int", "name: x\nnode:\n  max_in: five\ntimeline: [{wait: 1s}]\n", "3:11", `max_in: expected an integer, got "five"`},
		{"float for int", head + "  - start: {count: 2.5}\n", "4:20", `count: expected an integer, got 2.5`},
		{"huge int", head + "  - start: {count: 99999999999999999999999}\n", "4:20", `count: 99999999999999999999999 is too large (at most 2147483647)`},
		{"huge count", head + "  - start: {count: 2000000000}\n", "4:20", `would make more than 1000000 nodes`},
		{"duration without unit", "name: x\nsettle: 5\ntimeline: [{wait: 1s}]\n", "2:9", `settle: expected a duration with a unit, got 5 (write "5s" or "5ms")`},
		{"duration garbage", head + "  - wait: soon\n", "4:11", `wait: expected a duration like "10s" or "250ms", got "soon"`},
		{"negative duration", head + "  - wait: -1s\n", "4:11", `wait: must not be negative`},
		{"percent 150", head + "  - kill: {percent: 150}\n", "4:21", `kill: percent must be in (0, 100], got 150`},
		{"percent 0", head + "  - partition: {percent: 0}\n", "4:26", `percent must be in (0, 100], got 0`},
		{"count 0", head + "  - kill: {count: 0}\n", "4:19", `kill: count must be at least 1, got 0`},
		{"count above pool", head + "  - kill: {count: 5}\n", "4:19", `kill: count 5, but at most 4 nodes can be running`},
		{"two selectors", head + "  - kill: {count: 1, percent: 5}\n", "4:22", `give only one of nodes, count and percent (found count and percent)`},
		{"no selector", head + "  - kill: {mode: leave}\n", "4:11", `expected one of nodes (a list of names), count or percent`},
		{"kill mode", head + "  - kill: {count: 1, mode: gently}\n", "4:28", `kill: unknown mode "gently" (expected crash or leave)`},
		{"at going backwards", head + "  - wait: 10s\n  - at: 5s\n    kill: {count: 1}\n", "5:9", `at: 5s is before 10s`},
		{"unknown node", head + "  - broadcast: {from: n7}\n", "4:23", `broadcast: from: unknown node "n7" (nodes must be started by an earlier item; known nodes include`},
		{"node started later", head + "  - kill: {nodes: [x1]}\n  - start: {names: [x1]}\n", "4:20",
			`kill: node "x1" is not started yet: the item at 5:5 starts it later`},
		{"static peer started later", "name: x\ntimeline:\n  - start: {count: 1, static_peer: n1}\n  - start: {count: 1}\n", "3:36",
			`static_peer: node "n1" is not started yet: the item at 4:5 starts it later`},
		{"static peer in the same start", "name: x\ntimeline:\n  - start: {count: 2, static_peer: n1}\n", "3:36",
			`static_peer: node "n1" is started by this same item`},
		{"node not yet running", "name: x\ntimeline:\n  - start: {count: 10, over: 10s}\n  - broadcast: {from: n9}\n", "4:23",
			`broadcast: node "n9" starts at 9s, after this broadcast at 0s`},
		{"unknown group", head + "  - kill: {percent: 10, group: evil}\n", "4:32", `group: unknown group "evil" (no start action so far has a group)`},
		{"unknown from group", head + "  - broadcast: {from: \"group:evil\"}\n", "4:23", `unknown group "evil"`},
		{"restart running node", head + "  - restart: {nodes: [n1]}\n", "4:23", `restart: node "n1" is running at this point`},
		{"kill stopped node", head + "  - kill: {nodes: [n1]}\n  - kill: {nodes: [n1]}\n", "5:20", `kill: node "n1" is already stopped`},
		{"broadcast from stopped node", head + "  - kill: {percent: 100}\n  - broadcast: {from: n2}\n", "5:23", `broadcast: node "n2" is stopped`},
		{"partition stopped node", head + "  - kill: {nodes: [n1]}\n  - partition: {nodes: [n0, n1]}\n", "5:29", `partition: node "n1" is already stopped`},
		{"duplicate node", head + "  - start: {names: [n2]}\n", "4:21", `start: node "n2" already exists (started by the item at 3:5)`},
		{"prefix collision", "name: x\ntimeline:\n  - start: {count: 11}\n  - start: {count: 1, prefix: n1}\n", "4:20", `node "n10" already exists`},
		{"bad network key", head + "  - start: {count: 1, network_key: \"our key\"}\n", "4:36", `network_key: invalid name "our key"`},
		{"segment series without count", "name: x\nnetwork:\n  segments: {prefix: lan}\ntimeline: [{wait: 1s}]\n", "3:13", `segments: expected count`},
		{"segment series count 0", "name: x\nnetwork:\n  segments: {count: 0}\ntimeline: [{wait: 1s}]\n", "3:21", `segments: count must be between 1 and 100000, got 0`},
		{"segment series bad prefix", "name: x\nnetwork:\n  segments: {count: 2, prefix: \"a b\"}\ntimeline: [{wait: 1s}]\n", "3:32", `segments: prefix: invalid name "a b"`},
		{"segment series unknown key", "name: x\nnetwork:\n  segments: {count: 2, size: 5}\ntimeline: [{wait: 1s}]\n", "3:24", `unknown key "size" in segments`},
		{"segments and segment", "name: x\nnetwork:\n  segments: {count: 3}\ntimeline:\n" + "  - start: {count: 2, segment: lan0, segments: all}\n", "5:38", `start: give either segment or segments, not both`},
		{"segments with names", "name: x\nnetwork:\n  segments: {count: 3}\ntimeline:\n" + "  - start: {names: [a], segments: all}\n", "5:25", `start: segments goes with count`},
		{"unknown segment in segments", "name: x\nnetwork:\n  segments: {count: 3}\ntimeline:\n" + "  - start: {count: 2, segments: [lan0, lan7]}\n", "5:40", `segments: unknown segment "lan7" (network.segments declares lan0, lan1, lan2)`},
		{"segment listed twice", "name: x\nnetwork:\n  segments: {count: 3}\ntimeline:\n" + "  - start: {count: 2, segments: [lan1, lan1]}\n", "5:40", `segments: "lan1" is listed twice`},
		{"segments neither all nor a list", "name: x\nnetwork:\n  segments: {count: 3}\ntimeline:\n" + "  - start: {count: 2, segments: some}\n", "5:33", `segments: unknown segment "some"`},
		{"count per segment too many", "name: x\nnetwork:\n  segments: {count: 3}\ntimeline:\n" + "  - start: {count: 400000, segments: all}\n", "5:20", `start: count 400000 would make more than 1000000 nodes`},
		{"random static peer, nobody elsewhere", "name: x\nnetwork:\n  segments: {count: 3}\ntimeline:\n" + "  - start: {count: 2, segment: lan0}\n  - start: {count: 2, segment: lan0, static_peer: random}\n", "6:51",
			`static_peer: random: no node started by an earlier item is outside segment "lan0"`},
		{"random static peer, nobody before", "name: x\nnetwork:\n  segments: {count: 3}\ntimeline:\n" + "  - start: {count: 2, segments: all, static_peer: random}\n", "5:51", `static_peer: random: no node started by an earlier item is outside segment "lan0"`},
		{"network key list", head + "  - start: {count: 1, network_key: [a, b]}\n", "4:36", `network_key: expected a string`},
		{"foreign links window", head + "expect:\n  - foreign_links: {eq: 0, after: 1s}\n", "5:28", `foreign_links: after only applies to measures of broadcasts`},
		{"unknown segment", head + "  - start: {count: 1, segment: wan}\n", "4:32", `start: unknown segment "wan" (network.segments declares lan)`},
		{"two action keys", head + "  - kill: {count: 1}\n    restart: {count: 1}\n", "5:5", `two actions in one timeline item: "kill" and "restart"`},
		{"only at", head + "  - at: 1s\n", "4:5", `timeline item has only "at" and no action`},
		{"item not a mapping", head + "  - wait\n", "4:5", `timeline item: expected a mapping with one action, like "wait: 5s", got "wait"`},
		{"expectation without bounds", head + "expect:\n  - components: {}\n", "5:17", `components: expected at least one bound: min, max or eq`},
		{"reliability 1.5", head + "expect:\n  - reliability: {min: 1.5}\n", "5:24", `reliability: min must be between 0 and 1 (a fraction of nodes), got 1.5`},
		{"unknown expectation", head + "expect:\n  - reliabilty: {min: 1}\n", "5:5", `unknown expectation "reliabilty" (did you mean "reliability"?)`},
		{"eq with min", head + "expect:\n  - alive: {eq: 3, min: 1}\n", "5:17", `eq cannot be combined with min or max`},
		{"min above max", head + "expect:\n  - alive: {min: 3, max: 1}\n", "5:26", `alive: max (1) is below min (3)`},
		{"fractional count bound", head + "expect:\n  - components: {max: 1.5}\n", "5:23", `components: max must be a non-negative integer, got 1.5`},
		{"empty seeds", head + "expect:\n  - seeds: []\n    components: {max: 1}\n", "5:12", `seeds: expected the seeds at which the bound holds, such as [4], got an empty list`},
		{"negative seed", head + "expect:\n  - seeds: [4, -1]\n    components: {max: 1}\n", "5:16", `seeds: expected a non-negative integer below 2^64, got -1`},
		{"window on non-broadcast measure", head + "expect:\n  - alive: {min: 1, after: 1s}\n", "5:21", `alive: after only applies to measures of broadcasts`},
		{"window after the end", head + "expect:\n  - reliability: {min: 1, after: 1m}\n", "5:34", `after 1m0s is not before the end of the run at 5s`},
		{"link_limits false", head + "expect:\n  - link_limits: false\n", "5:18", `link_limits: false checks nothing`},
		{"empty check", head + "  - check: []\n", "4:12", `check: expected at least one expectation`},
		{"max_in < max_out", "name: x\nnode:\n  max_in: 2\n  max_out: 4\ntimeline: [{wait: 1s}]\n", "3:3",
			`node: max_in (2) must be at least max_out (4)`},
		{"max_in < max_out in start", head + "  - start: {count: 1, node: {max_in: 2, max_out: 4}}\n", "4:29",
			`start: node: max_in (2) must be at least max_out (4)`},
		{"target_out not an integer", "name: x\nnode:\n  target_out: five\ntimeline: [{wait: 1s}]\n", "3:15", `target_out: expected an integer, got "five"`},
		{"target_out above max_out", "name: x\nnode:\n  max_out: 4\n  target_out: 5\ntimeline: [{wait: 1s}]\n", "3:3",
			`node: target_out must be 0 (four fifths of max_in when flooding, max_out in tree mode) or between min_links (2) and max_out (4), got 5`},
		{"target_out below min_links in start", head + "  - start: {count: 1, node: {min_links: 3, target_out: 2}}\n", "4:29",
			`start: node: target_out must be 0 (four fifths of max_in when flooding, max_out in tree mode) or between min_links (3) and max_out (5), got 2`},
		{"unknown config key", "name: x\nnode:\n  keepalive_interval: 1s\ntimeline: [{wait: 1s}]\n", "3:3", `unknown key "keepalive_interval" in node (did you mean "keepalive"?)`},
		{"unknown mode", "name: x\nnode: {mode: gossip}\ntimeline: [{wait: 1s}]\n", "2:14", `mode: unknown mode "gossip" (expected flood or tree)`},
		{"tree mode validation", "name: x\nnode: {mode: tree, message_cache: 0}\ntimeline: [{wait: 1s}]\n", "2:7", `node: message_cache must be at least 1, got 0`},
		{"unknown dist", "name: x\nnetwork:\n  latency: {dist: gaussian, mean: 1ms}\ntimeline: [{wait: 1s}]\n", "3:19",
			`latency: unknown dist "gaussian" (expected fixed, uniform or normal)`},
		{"dist key mismatch", "name: x\nnetwork:\n  latency: {dist: fixed, value: 1ms, min: 1ms}\ntimeline: [{wait: 1s}]\n", "3:38",
			`latency: min does not apply to dist fixed (it takes value)`},
		{"uniform min > max", "name: x\nnetwork:\n  latency: {dist: uniform, min: 9ms, max: 1ms}\ntimeline: [{wait: 1s}]\n", "3:12",
			`latency: uniform min (9ms) must not exceed max (1ms)`},
		{"loss 1", "name: x\nnetwork: {loss: 1}\ntimeline: [{wait: 1s}]\n", "2:17", `loss: expected a probability in [0, 1), got 1`},
		{"duplicate key", "name: x\nname: y\ntimeline: [{wait: 1s}]\n", "2:1", `duplicate key "name" (first given at 1:1)`},
		{"broadcast size", head + "  - broadcast: {size: 0}\n", "4:23", `broadcast: size must be between 1 and max_payload (65536), got 0`},
		{"broadcast every", head + "  - broadcast: {count: 3}\n", "4:16", `broadcast: every must be positive when count is above 1`},
		{"broadcast before any node", "name: x\ntimeline:\n  - broadcast: {}\n", "3:16", `broadcast: no node can be running at this point`},
		{"heal unknown partition", head + "  - heal: p9\n", "4:11", `heal: unknown partition "p9" (no partition is in effect here)`},
		{"heal twice", head + "  - partition: {name: p, count: 1}\n  - heal: p\n  - heal: p\n", "6:11", `heal: partition "p" was already healed`},
		{"partition twice", head + "  - partition: {name: p, count: 1}\n  - partition: {name: p, count: 1}\n", "5:23", `partition: "p" is already in effect`},
		{"snapshot twice", head + "  - snapshot: s\n  - snapshot: {name: s}\n", "5:22", `snapshot: name "s" is already used`},
		{"duration too short", "name: x\nduration: 5s\ntimeline:\n  - wait: 10s\n", "2:11", `duration: 5s ends the run before the timeline's last action at 10s`},
		{"yaml syntax error", "name: x\ntimeline:\n  - wait: 1s\n   - wait: 2s\n", "3:3", `YAML syntax error`},
		{"yaml tab", "name: x\n\ttimeline: []\n", "2:1", `YAML syntax error`},
		{"unknown anchor", "name: x\ntimeline: *nope\n", "2:11", `unknown anchor 'nope'`},
		{"alias cycle", "name: x\ntimeline: &t [{check: *t}]\n", "2:23", `alias *t refers to a node that contains it (&t at 2:11)`},
		{"merge cycle", "name: x\nnode: &n {<<: *n}\ntimeline: [{wait: 1s}]\n", "2:15", `refers to a node that contains it`},
		{"two documents", "name: x\ntimeline: [{wait: 1s}]\n---\nname: y\n", "3:1", `a scenario file holds one YAML document`},
		{"empty file", "", "1:1", `empty file`},
		{"comment only", "# nothing\n", "1:1", `empty file`},
		{"scalar document", "hello\n", "1:1", `scenario file: expected a mapping with keys name`},
		{"invalid utf8", "name: x\ntimeline: [{wait: 1s}]\ndescription: \"\xff\"\n", "3:15", `YAML syntax error`},
		{"non-scalar key", "name: x\n[a]: 1\ntimeline: [{wait: 1s}]\n", "2:1", `expected a key name, got a list`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.src))
			if err == nil {
				t.Fatalf("no error for\n%s", c.src)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, not ErrorList: %v", err, err)
			}
			first := list[0]
			want := "bad.yaml:" + c.pos + ": "
			if !strings.HasPrefix(first.Error(), want) || !strings.Contains(first.Msg, c.msg) {
				t.Errorf("got  %v\nwant %s...%s", err, want, c.msg)
			}
			for _, e := range list {
				if e.Line < 1 || e.Col < 1 || e.File != "bad.yaml" {
					t.Errorf("bad position in %v", e)
				}
			}
		})
	}
}

// TestErrorsCollected checks that independent problems are all reported.
func TestErrorsCollected(t *testing.T) {
	src := "name: x\nsettle: 5\nnode: {max_in: five}\ntimeline:\n  - explode: 1\n  - start: {count: 2}\n  - kill: {percent: 150}\nexpect:\n  - reliability: {min: 1.5}\n"
	_, err := Parse("many.yaml", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, fmt.Sprintf("%d:%d", e.Line, e.Col))
	}
	want := "2:9 3:16 5:5 7:21 9:24"
	if strings.Join(got, " ") != want {
		t.Errorf("positions %v, want %s\n%v", got, want, err)
	}
}

// A start refused for its count leaves no node to send the broadcast that
// follows: the one error is the count, not a second one derived from it.
func TestNoErrorDerivedFromAnEarlierOne(t *testing.T) {
	src := "name: x\ntimeline:\n  - start: {count: 999999999999}\n  - at: 5s\n    broadcast: {}\n"
	_, err := Parse("bad.yaml", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("want exactly one error, got %v", err)
	}
	if want := "bad.yaml:3:20: count: 999999999999 is too large (at most 2147483647)"; list[0].Error() != want {
		t.Errorf("got  %v\nwant %s", list[0], want)
	}
}
