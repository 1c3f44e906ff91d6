package scenario

import "testing"

func TestFormatMeasuredRoundsAsPeopleRead(t *testing.T) {
	for _, c := range []struct {
		k    ExpectKind
		v    float64
		want string
	}{
		{ExpReliability, 0.9965386016801425, "0.9965"},
		{ExpReliability, 1, "1"},
		{ExpRMR, 6.017142857142857, "6.017"},
		{ExpRMR, 123.456, "123.5"},
		{ExpRMR, 0.0012346, "0.001235"},
		{ExpRMR, 2.5, "2.5"},
		{ExpRMR, -0.25, "-0.25"},
	} {
		if got := c.k.FormatMeasured(c.v); got != c.want {
			t.Errorf("%v: FormatMeasured(%v) = %q, want %q", c.k, c.v, got, c.want)
		}
	}
}
