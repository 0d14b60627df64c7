package omi

import "encoding/json"

// storedSegment is how every store keeps a transcript segment: with what the
// API hides (speaker label, is_user, person_id) but derives speaker names
// from. One definition, so `copy` moves transcripts between stores unchanged.
type storedSegment struct {
	ID        string  `json:"id"`
	Text      string  `json:"text"`
	Speaker   string  `json:"speaker"`
	SpeakerID int     `json:"speaker_id"`
	IsUser    bool    `json:"is_user"`
	PersonID  *string `json:"person_id,omitempty"`
	Start     float64 `json:"start"`
	End       float64 `json:"end"`
}

// EncodeTranscript is the stored JSON of segs.
func EncodeTranscript(segs []TranscriptSegment) ([]byte, error) {
	out := make([]storedSegment, len(segs))
	for i, s := range segs {
		out[i] = storedSegment{s.ID, s.Text, s.Speaker, s.SpeakerID, s.IsUser, s.PersonID, s.Start, s.End}
	}
	return json.Marshal(out)
}

// DecodeTranscript reads what EncodeTranscript wrote.
func DecodeTranscript(b []byte) ([]TranscriptSegment, error) {
	var in []storedSegment
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make([]TranscriptSegment, len(in))
	for i, g := range in {
		out[i] = TranscriptSegment{ID: g.ID, Text: g.Text, Speaker: g.Speaker, SpeakerID: g.SpeakerID, IsUser: g.IsUser,
			PersonID: g.PersonID, Start: g.Start, End: g.End}
	}
	return out, nil
}
