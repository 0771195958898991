package media

// Concealer hides lost frames (packet-loss concealment): it repeats the last good frame while
// fading it out over concealFadeFrames frames, then gives silence until a good frame comes again.
// Repeating the last 20 ms is the plain method; it bridges a single lost packet without a click or
// a gap and fades before the repetition becomes a buzz. It allocates only in NewConcealer and is
// not safe for concurrent use (one per received stream).
type Concealer struct {
	last    []int16
	n       int // samples of last that are valid
	missing int // frames concealed since the last good one
}

// concealFadeFrames is over how many lost frames the repeated audio fades to silence (60 ms).
const concealFadeFrames = 3

// NewConcealer returns a concealer for frames of frameSamples samples.
func NewConcealer(frameSamples int) *Concealer {
	return &Concealer{last: make([]int16, frameSamples)}
}

// Good records a frame that was received and decoded, for concealing the next lost ones.
func (c *Concealer) Good(pcm []int16) {
	c.n = copy(c.last, pcm)
	c.missing = 0
}

// Conceal fills dst with the stand-in for one lost frame: the last good frame faded out, or
// silence once the fade is over or when nothing good was heard yet.
func (c *Concealer) Conceal(dst []int16) {
	k := c.missing
	c.missing++
	if k >= concealFadeFrames || c.n == 0 {
		clear(dst)
		return
	}
	// The gain falls linearly from (1 - k/F) at the start of this frame to (1 - (k+1)/F) at its
	// end, so successive concealed frames join without a step.
	span := len(dst) * concealFadeFrames
	start := len(dst) * k
	for i := range dst {
		s := c.last[i%c.n]
		g := span - start - i
		dst[i] = int16(int64(s) * int64(g) / int64(span))
	}
}
