package process

import (
	"strings"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

type trigKind uint8

const (
	tkCommit  trigKind = iota // "I'll", "we need to", "let's": the speaker's own plan
	tkRequest                 // "can you", "please": asking someone
	tkNote                    // "remind me to", "todo:", sentence-initial "need to"
	tkNamed                   // "Tom will", "Maria is going to"
)

// trigger is a phrase that introduces a task; the task is the verb phrase
// after it.
type trigger struct {
	seq    []string
	kind   trigKind
	keep   string // words kept in front of the task ("Make sure")
	start  bool   // only at the start of a sentence
	strict bool   // the next word must be a known verb
	gerund bool   // "would you mind sending" -> "send"
}

var triggers = func() map[string][]trigger {
	list := []trigger{
		{seq: []string{"i'll"}, kind: tkCommit},
		{seq: []string{"i", "will"}, kind: tkCommit},
		{seq: []string{"i", "shall"}, kind: tkCommit},
		{seq: []string{"i'm", "going", "to"}, kind: tkCommit},
		{seq: []string{"i", "am", "going", "to"}, kind: tkCommit},
		{seq: []string{"i'm", "gonna"}, kind: tkCommit},
		{seq: []string{"i", "need", "to"}, kind: tkCommit},
		{seq: []string{"i", "have", "to"}, kind: tkCommit},
		{seq: []string{"i've", "got", "to"}, kind: tkCommit},
		{seq: []string{"i", "gotta"}, kind: tkCommit},
		{seq: []string{"i", "must"}, kind: tkCommit},
		{seq: []string{"i", "should"}, kind: tkCommit, strict: true},
		{seq: []string{"i'd", "better"}, kind: tkCommit},
		{seq: []string{"i", "still", "need", "to"}, kind: tkCommit},
		{seq: []string{"i", "also", "need", "to"}, kind: tkCommit},
		{seq: []string{"let", "me"}, kind: tkCommit, strict: true},
		{seq: []string{"we'll"}, kind: tkCommit},
		{seq: []string{"we", "will"}, kind: tkCommit},
		{seq: []string{"we're", "going", "to"}, kind: tkCommit},
		{seq: []string{"we", "are", "going", "to"}, kind: tkCommit},
		{seq: []string{"we're", "gonna"}, kind: tkCommit},
		{seq: []string{"we", "need", "to"}, kind: tkCommit},
		{seq: []string{"we", "still", "need", "to"}, kind: tkCommit},
		{seq: []string{"we", "also", "need", "to"}, kind: tkCommit},
		{seq: []string{"we", "have", "to"}, kind: tkCommit},
		{seq: []string{"we", "should"}, kind: tkCommit},
		{seq: []string{"we", "must"}, kind: tkCommit},
		{seq: []string{"we've", "got", "to"}, kind: tkCommit},
		{seq: []string{"we", "gotta"}, kind: tkCommit},
		{seq: []string{"we'd", "better"}, kind: tkCommit},
		{seq: []string{"let's"}, kind: tkCommit},
		{seq: []string{"lets"}, kind: tkCommit, strict: true},
		{seq: []string{"let", "us"}, kind: tkCommit, strict: true},
		{seq: []string{"someone", "needs", "to"}, kind: tkCommit},
		{seq: []string{"someone", "should"}, kind: tkCommit},
		{seq: []string{"can", "someone"}, kind: tkRequest},
		{seq: []string{"could", "someone"}, kind: tkRequest},
		{seq: []string{"can", "somebody"}, kind: tkRequest},
		{seq: []string{"somebody", "needs", "to"}, kind: tkCommit},
		{seq: []string{"can", "you"}, kind: tkRequest},
		{seq: []string{"could", "you"}, kind: tkRequest},
		{seq: []string{"would", "you"}, kind: tkRequest},
		{seq: []string{"will", "you"}, kind: tkRequest},
		{seq: []string{"can", "u"}, kind: tkRequest},
		{seq: []string{"could", "u"}, kind: tkRequest},
		{seq: []string{"would", "you", "mind"}, kind: tkRequest, gerund: true},
		{seq: []string{"would", "you", "be", "able", "to"}, kind: tkRequest},
		{seq: []string{"could", "you", "please"}, kind: tkRequest},
		{seq: []string{"can", "you", "please"}, kind: tkRequest},
		{seq: []string{"please"}, kind: tkRequest, strict: true},
		{seq: []string{"pls"}, kind: tkRequest, strict: true},
		{seq: []string{"i", "need", "you", "to"}, kind: tkRequest},
		{seq: []string{"i'd", "like", "you", "to"}, kind: tkRequest},
		{seq: []string{"i", "want", "you", "to"}, kind: tkRequest},
		{seq: []string{"you", "need", "to"}, kind: tkRequest},
		{seq: []string{"you'll", "need", "to"}, kind: tkRequest},
		{seq: []string{"you", "have", "to"}, kind: tkRequest},
		{seq: []string{"you", "must"}, kind: tkRequest},
		{seq: []string{"remind", "me", "to"}, kind: tkNote},
		{seq: []string{"don't", "forget", "to"}, kind: tkNote},
		{seq: []string{"do", "not", "forget", "to"}, kind: tkNote},
		{seq: []string{"dont", "forget", "to"}, kind: tkNote},
		{seq: []string{"make", "sure", "to"}, kind: tkNote},
		{seq: []string{"make", "sure", "that"}, kind: tkNote, keep: "Make sure"},
		{seq: []string{"make", "sure", "you"}, kind: tkNote, keep: "Make sure you"},
		{seq: []string{"make", "sure", "we"}, kind: tkNote, keep: "Make sure we"},
		{seq: []string{"be", "sure", "to"}, kind: tkNote},
		{seq: []string{"remember", "to"}, kind: tkNote},
		{seq: []string{"need", "to"}, kind: tkNote, start: true},
		{seq: []string{"needs", "to"}, kind: tkNote, start: true},
		{seq: []string{"have", "to"}, kind: tkNote, start: true},
		{seq: []string{"gotta"}, kind: tkNote, start: true},
		{seq: []string{"must"}, kind: tkNote, start: true},
		{seq: []string{"should"}, kind: tkNote, start: true, strict: true},
		{seq: []string{"todo", ":"}, kind: tkNote},
		{seq: []string{"to", "do", ":"}, kind: tkNote},
		{seq: []string{"to-do", ":"}, kind: tkNote},
		{seq: []string{"action", "item", ":"}, kind: tkNote},
		{seq: []string{"action", "items", ":"}, kind: tkNote},
		{seq: []string{"reminder", ":"}, kind: tkNote},
		{seq: []string{"note", "to", "self", ":"}, kind: tkNote},
		{seq: []string{"next", "step", "is", "to"}, kind: tkNote},
		{seq: []string{"next", "steps", ":"}, kind: tkNote},
		{seq: []string{"follow-up", ":"}, kind: tkNote},
	}
	idx := map[string][]trigger{}
	for _, t := range list {
		idx[t.seq[0]] = append(idx[t.seq[0]], t)
	}
	return idx
}()

// namedModal follows a name in "Tom will send", "Maria is going to check".
var namedModal = [][]string{{"will"}, {"is", "going", "to"}, {"needs", "to"}, {"has", "to"}, {"should"}}

// negators before a trigger turn it into a question, a condition or a
// negation: "do we need to", "if I have to", "why would you".
var negators = set("do", "does", "did", "don't", "doesn't", "didn't", "if", "whether", "why", "what", "how", "when",
	"where", "who", "unless", "once", "whenever", "not", "never", "wonder", "know", "sure", "when's", "as")

// blockedAfter are verbs that follow a trigger without making a task:
// "I'll be honest", "let's see", "can you believe", "I need to say".
var blockedAfter = map[trigKind]map[string]bool{
	tkCommit: set("be", "see", "say", "admit", "bet", "guess", "pass", "think", "wait", "miss", "allow", "hope",
		"imagine", "assume", "believe", "wonder", "agree", "disagree", "mention", "warn", "like", "love", "want",
		"need", "tell", "keep", "leave", "stay", "start", "begin", "go", "move", "wrap", "dive", "jump", "kick",
		"recap", "face", "talk", "chat", "pause", "continue", "do", "give", "let", "come", "hear", "listen",
		"remember", "have", "get", "figure", "focus", "look", "understand", "explain", "ask", "know", "make",
		"put", "help", "consider", "stop", "play", "take", "circle", "touch"),
	tkRequest: set("believe", "imagine", "hear", "see", "tell", "remember", "say", "guess", "like", "rather",
		"mind", "be", "do", "feel", "think", "understand", "explain", "repeat", "clarify", "describe",
		"elaborate", "talk", "speak", "hold", "wait", "hang", "walk", "recommend", "help", "make", "give", "go",
		"come", "stop", "consider", "let", "have", "know", "start", "look", "agree", "ever", "even", "get",
		"keep", "take", "put", "try", "play", "tell", "relax", "calm", "trust"),
	tkNote: set("be", "say", "think", "admit", "mention", "go", "know", "have", "tell", "get", "keep", "do", "make"),
}

// allowedBlocked lets a blocked verb through when the words after it make
// a task: "I'll let Maria know", "let me get back to you", "I'll have the
// report ready", "can you give me the numbers", "we need to talk to legal".
func allowedBlocked(verb string, rest []token) bool {
	next := func(k int) string {
		if k < len(rest) {
			return rest[k].low
		}
		return ""
	}
	// long: an object with substance beyond the verb ("do a dry run", not
	// "do that tonight").
	substance := 0
	for _, t := range rest[min(1, len(rest)):] {
		if isContent(t) && t.kind == tWord && !isTimeWord(t.low) && !partOfDay[t.low] {
			substance++
		}
	}
	long := len(rest) >= 3 && substance >= 1
	switch verb {
	case "let":
		for k := 1; k < len(rest) && k < 5; k++ {
			if rest[k].low == "know" {
				return true
			}
		}
	case "get":
		return next(1) == "back" && next(2) == "to" || next(1) == "in" && next(2) == "touch" || long && !vague[next(1)]
	case "have":
		for _, t := range rest {
			switch t.low {
			case "ready", "done", "finished", "sent", "complete", "completed", "signed", "reviewed":
				return true
			}
		}
	case "talk", "chat", "speak":
		return (next(1) == "to" || next(1) == "with") && long
	case "give", "make", "put", "do", "take", "play":
		return long && !vague[next(1)] || verb == "give" && next(1) == "me" && len(rest) > 3
	case "look":
		// "look into the billing bug", not "look at what happened".
		return (next(1) == "into" || next(1) == "at" && len(rest) > 3 || next(1) == "up" && len(rest) > 2) && !whWords[next(2)]
	case "figure":
		return next(1) == "out" && len(rest) > 3
	case "start", "begin", "consider":
		return long && next(1) != "with" && next(1) != "by" && next(1) != "off"
	case "go":
		return (next(1) == "to" || next(1) == "over" || next(1) == "through") && len(rest) > 3 && !vague[next(2)]
	case "tell":
		return long && next(1) != "you" && next(1) != "me" && next(1) != "ya"
	case "keep":
		return long && next(1) != "in" && !vague[next(1)]
	case "help":
		return len(rest) > 3
	case "move":
		return long && next(1) != "on" && next(1) != "forward" && !vague[next(1)]
	case "remember":
		return next(1) == "to"
	case "ask":
		return long && next(1) != "you"
	case "come":
		return next(1) == "by" || next(1) == "in" || next(1) == "over"
	case "circle", "touch":
		return next(1) == "back" || next(1) == "base"
	}
	return false
}

// vague objects leave a blocked verb meaningless: "do that", "get going",
// "put it together".
var vague = set("it", "that", "this", "them", "those", "these", "going", "started", "there", "sure", "used", "rid",
	"me", "you", "ya", "up", "on", "off", "out", "over", "back", "away", "in", "with", "by")

var whWords = set("what", "how", "why", "when", "where", "who", "whether", "if", "which")

// leadAdverbs come between a trigger and the verb and are dropped:
// "I'll probably just send" -> "send".
var leadAdverbs = set("just", "probably", "definitely", "also", "actually", "quickly", "first", "then", "still",
	"really", "maybe", "please", "kindly", "certainly", "surely", "absolutely", "totally", "now", "finally",
	"personally", "already", "obviously", "def", "prob", "asap", "immediately", "ideally", "eventually",
	"hopefully", "again", "all", "both", "um", "uh", "like", "possibly", "seriously", "literally", "quick", "soon",
	"too", "even")

// leadPhrases are multi-word leads: "be able to", "go ahead and", "try to".
var leadPhrases = [][]string{
	{"be", "able", "to"}, {"need", "to"}, {"have", "to"}, {"try", "to"}, {"try", "and"}, {"go", "ahead", "and"},
	{"got", "to"}, {"at", "least"}, {"you", "to"}, {"gonna"}, {"want", "to"}, {"going", "to"}, {"make", "sure", "to"},
	{"remember", "to"}, {"also", "need", "to"},
}

func skipLead(toks []token, k int) int {
outer:
	for k < len(toks) {
		if leadAdverbs[toks[k].low] || toks[k].low == "," {
			k++
			continue
		}
		for _, p := range leadPhrases {
			if seqAt(toks, k, p) {
				k += len(p)
				continue outer
			}
		}
		return k
	}
	return k
}

func seqAt(toks []token, k int, seq []string) bool {
	if k+len(seq) > len(toks) {
		return false
	}
	for n, w := range seq {
		if toks[k+n].low != w {
			return false
		}
	}
	return true
}

// nonVerbStarts cannot open a task.
var nonVerbStarts = set("the", "a", "an", "this", "that", "it", "i", "we", "they", "he", "she", "me", "him",
	"her", "us", "them", "my", "your", "our", "not", "no", "so", "and", "but", "or", "if", "what", "how", "why",
	"when", "where", "who", "which", "there", "here", "yes", "yeah", "ok", "okay", "too", "at", "on", "in", "to",
	"for", "with", "about", "from", "of", "by", "as", "than", "up", "down", "is", "are", "was", "were", "am",
	"has", "had", "be", "been", "thanks", "thank", "sorry", "hi", "hey", "hello", "well", "more", "some", "any",
	"much", "very", "also", "all", "everything", "something", "anything", "nothing", "one", "two", "lol")

// stopAt end a task inside a sentence: "I'll send it, but...", "... because".
var stopAt = set("but", "because", "cause", "'cause", "since", "unless", "otherwise", "although", "though",
	"whereas", "while", "which", "okay", "ok", "alright", "yeah", "right", "haha", "lol", "cos",
	"coz", "whilst", "anyway", "anyways", "um", "uh", "so", "plus")

// pronouns after "and" / "or" start a new clause: "I'll send it and you
// book the room".
var clausePronouns = set("i", "we", "you", "he", "she", "they", "it's", "i'll", "we'll", "you'll", "that's",
	"then", "there's", "i'm", "we're", "let's", "it", "maybe", "also", "if", "so", "but")

var dropTrailing = set("please", "okay", "ok", "alright", "thanks", "right", "yeah", "too", "then", "as", "well",
	"asap", "now", "though", "first", "real", "quick", "for", "me", "if", "possible", "you", "can", "when", "get",
	"a", "chance", "and", "or", "so", "the", "to", "of", "with", "at", "on", "in", "by", "um", "uh", "like", "just",
	"maybe", "probably", "again", "also", "later", "tho")

type action struct {
	desc  string
	due   *time.Time
	words map[string]bool
	nouns map[string]bool // content words that are not verbs
	sent  int
	kind  trigKind
}

// actionItems finds commitments and requests in the conversation and
// rewrites each as a short imperative: "I'll send the deck to Maria by
// Friday" -> "Send the deck to Maria by Friday".
func (d *doc) actionItems() []omi.ConversationActionItem {
	var acts []action
	for i := range d.sents {
		for _, a := range d.sentenceActions(i) {
			acts = mergeAction(acts, a)
		}
	}
	out := make([]omi.ConversationActionItem, 0, len(acts))
	for _, a := range acts {
		if len(out) == maxActionItems {
			break
		}
		out = append(out, omi.ConversationActionItem{Description: a.desc, DueAt: a.due})
	}
	return out
}

// mergeAction adds a unless it repeats an earlier task (same content
// words, or one's words contain the other's); the more specific wording
// and any due date survive.
func mergeAction(acts []action, a action) []action {
	for k := range acts {
		b := &acts[k]
		// A request answered by a promise ("Can you export it as an SVG?" /
		// "I'll export SVGs for all of them") is one task.
		answered := b.kind == tkRequest && a.kind == tkCommit && a.sent-b.sent <= 2 && a.sent > b.sent && overlaps(a.nouns, b.nouns)
		if answered {
			if b.due == nil {
				b.due = a.due
			}
			return acts
		}
		if subset(a.words, b.words) || subset(b.words, a.words) {
			if len(a.words) > len(b.words) {
				b.desc, b.words = a.desc, a.words
			}
			if b.due == nil {
				b.due = a.due
			}
			return acts
		}
	}
	if len(acts) == maxActionItems {
		// Only the first tasks are kept; comparing every later one with all
		// the others would make a long transcript quadratic.
		return acts
	}
	return append(acts, a)
}

func overlaps(a, b map[string]bool) bool {
	for w := range a {
		if b[w] {
			return true
		}
	}
	return false
}

func subset(a, b map[string]bool) bool {
	if len(a) < 2 {
		return false
	}
	for w := range a {
		if !b[w] {
			return false
		}
	}
	return true
}

func (d *doc) sentenceActions(si int) []action {
	s := &d.sents[si]
	toks := s.toks
	first := trimLead(toks)
	var out []action
	for k := first; k < len(toks); k++ {
		tr, end, ok := d.matchTrigger(toks, k, first)
		if !ok {
			continue
		}
		acts, next := d.buildActions(si, tr, k, end)
		out = append(out, acts...)
		if next > k {
			k = next - 1
		}
	}
	if len(out) == 0 && !s.question {
		// A bare imperative: "Call the plumber tomorrow.", "Monday: finish
		// the report", "Maybe block the afternoon for the rubric".
		k := first
		for k < len(toks) {
			if w := toks[k].low; w == "maybe" || w == "also" {
				k++
			} else if isTimeWord(w) && k+1 < len(toks) && toks[k+1].low == ":" {
				k += 2
			} else {
				break
			}
		}
		// The wider verb list only with an object after the verb: "Report
		// says..." and "Plan for the week" are not orders.
		broad := k+1 < len(toks) && verbs[toks[k].low] && !chattyVerbs[toks[k].low] && objectStart(toks[k+1])
		if k < len(toks) && (imperativeVerbs[toks[k].low] || broad) && (k+1 >= len(toks) || toks[k+1].kind != tPunct) {
			acts, _ := d.buildActions(si, trigger{kind: tkNote, strict: true}, k, k)
			out = append(out, acts...)
		}
	}
	// An imperative after "so" or "then" inside a sentence: "the flight
	// leaves at 6:40 so pack tonight".
	if !s.question {
		for k := first + 1; k+1 < len(toks); k++ {
			// "then" must start its clause: "the electrons then move" has a subject.
			then := toks[k].low == "then" && toks[k-1].kind == tPunct
			if (toks[k].low == "so" || then || toks[k].low == ";") && imperativeVerbs[toks[k+1].low] &&
				toks[k-1].low != "and" && toks[k-1].low != "i" && toks[k-1].low != "we" {
				acts, _ := d.buildActions(si, trigger{kind: tkNote, strict: true}, k+1, k+1)
				for _, a := range acts {
					out = appendNew(out, a)
				}
			}
		}
	}
	return out
}

// objectStart reports whether t can open the object of an imperative:
// "Block the afternoon", "Arrive ten minutes early", "Avoid chewing",
// "Email Sara" but not "Heat pump sales..." or "Report says...".
func objectStart(t token) bool {
	switch {
	case determiners[t.low] || objectPronouns[t.low] || particles[t.low]:
		return true
	case t.kind == tNum, numberWords[t.low] > 0 && t.low != "a" && t.low != "half":
		return true
	case t.kind == tWord && t.upper:
		return true
	case t.kind == tWord && strings.HasSuffix(t.low, "ing") && len(t.low) > 5:
		return true
	}
	return false
}

var objectPronouns = set("me", "him", "her", "them", "it", "us", "your", "his", "their", "everyone", "everything", "any", "each", "every", "another", "two", "more", "extra")
var particles = set("up", "out", "back", "in", "off", "over", "down", "on", "away", "through", "around", "early", "ahead")

func appendNew(acts []action, a action) []action {
	for _, b := range acts {
		if b.desc == a.desc {
			return acts
		}
	}
	return append(acts, a)
}

// matchTrigger returns the longest trigger at k and the index after it.
func (d *doc) matchTrigger(toks []token, k, first int) (trigger, int, bool) {
	var best trigger
	bestEnd := -1
	for _, tr := range triggers[toks[k].low] {
		if tr.start && k != first {
			continue
		}
		if seqAt(toks, k, tr.seq) && k+len(tr.seq) > bestEnd {
			best, bestEnd = tr, k+len(tr.seq)
		}
	}
	if bestEnd < 0 {
		// "Tom will send", "Maria is going to check": a named person's task.
		t := toks[k]
		if t.kind == tWord && t.upper && !stopWords[t.low] && len(t.low) > 1 && !isTimeWord(t.low) {
			for _, seq := range namedModal {
				if seqAt(toks, k+1, seq) {
					return trigger{kind: tkNamed}, k + 1 + len(seq), true
				}
			}
		}
		return trigger{}, 0, false
	}
	if k > first && best.kind != tkNote {
		prev := toks[k-1].low
		if negators[prev] || k > first+1 && negators[toks[k-2].low] && (prev == "i" || prev == "we" || prev == "you") {
			return trigger{}, 0, false
		}
	}
	return best, bestEnd, true
}

func isTimeWord(w string) bool {
	_, wd := weekdays[w]
	_, mo := months[w]
	return wd || mo || w == "today" || w == "tomorrow" || w == "tonight"
}

// buildActions reads the task after a trigger ending at start and returns
// it (two when "and" joins two verb phrases) and where scanning resumes.
func (d *doc) buildActions(si int, tr trigger, trigAt, start int) ([]action, int) {
	toks := d.sents[si].toks
	k := skipLead(toks, start)
	if k >= len(toks) || toks[k].kind != tWord {
		return nil, start
	}
	verb := toks[k].low
	if tr.gerund {
		verb = verbFromGerund(verb)
	}
	if tr.keep != "" {
		// "Make sure (that) the invoice goes out": a whole clause, kept as said.
		end := clauseEnd(toks, k)
		if a, ok := d.makeAction(si, tr, trigAt, k, end); ok {
			return []action{a}, end
		}
		return nil, end
	}
	if nonVerbStarts[verb] || !verbs[verb] && (strings.HasSuffix(verb, "ing") && !tr.gerund || strings.HasSuffix(verb, "ed")) {
		return nil, start
	}
	if (tr.strict || tr.kind == tkNamed) && !verbs[verb] {
		return nil, start
	}
	end := clauseEnd(toks, k)
	resume := end
	var out []action
	// "send the deck and book the room": two tasks sharing the trigger
	// (but "review and approve the PR" is one).
	for split := k + 2; split < end-1; split++ {
		if toks[split].low == "and" && verbs[toks[split+1].low] && !stopWords[toks[split+1].low] && split+2 < end &&
			toks[split+2].kind == tWord {
			second, _ := d.buildActions(si, trigger{kind: tr.kind, keep: tr.keep, strict: true}, trigAt, split+1)
			out = append(out, second...)
			end = split
			break
		}
	}
	blocked := blockedAfter[tr.kind]
	if tr.kind == tkNamed {
		blocked = blockedAfter[tkCommit]
	}
	if blocked[verb] && !allowedBlocked(verb, toks[k:end]) {
		return out, resume
	}
	// "let's go through the numbers" runs the meeting; with a date it plans one.
	if tr.kind == tkCommit && (toks[trigAt].low == "let's" || toks[trigAt].low == "let") && meetingMeta[verb] &&
		d.dueDate(si, toks[k].start, toks[end-1].end, -1) == nil {
		return out, resume
	}
	if a, ok := d.makeAction(si, tr, trigAt, k, end); ok {
		out = append([]action{a}, out...)
	}
	return out, resume
}

// clauseEnd finds where the task starting at k ends.
func clauseEnd(toks []token, k int) int {
	for j := k + 1; j < len(toks); j++ {
		t := toks[j]
		if j-k > 30 {
			return j
		}
		switch {
		case t.kind == tPunct:
			switch t.low {
			case ",":
				if j+1 < len(toks) {
					n := toks[j+1].low
					if n == "and" || n == "or" {
						if j+2 < len(toks) && (clausePronouns[toks[j+2].low] || verbs[toks[j+2].low] && !stopWords[toks[j+2].low]) {
							return j
						}
						continue
					}
					if stopAt[n] || clausePronouns[n] || negators[n] || n == "please" || n == "right" || n == "just" ||
						n == "like" || n == "you" || n == "then" || n == "cool" || n == "great" || n == "actually" || n == "otherwise" {
						return j
					}
					if triggers[n] != nil {
						return j
					}
					// ", the quote was cheaper": a new clause with its own verb.
					for m := j + 2; m < len(toks) && m <= j+4; m++ {
						if finiteVerbs[toks[m].low] {
							return j
						}
						if toks[m].kind == tPunct {
							break
						}
					}
				}
				continue
			case "'", "\"", "/", "&", "$", "%", "#", "+", "@", "’":
				continue
			case "-":
				if t.space && j+1 < len(toks) && toks[j+1].space {
					return j
				}
				continue
			}
			return j
		case stopAt[t.low]:
			return j
		case t.low == "and" || t.low == "or":
			if j+1 < len(toks) && (clausePronouns[toks[j+1].low] || toks[j+1].low == "then") {
				return j
			}
		case (t.low == "if" || t.low == "whether") && j-k <= 3 && askVerbs[toks[k].low]:
			// "check if we have salt", "ask Tom whether he can come"
		case t.low == "if" || t.low == "when" || t.low == "whenever" || t.low == "before" && j+1 < len(toks) && clausePronouns[toks[j+1].low]:
			return j
		case triggers[t.low] != nil && j > k+1:
			for _, tr := range triggers[t.low] {
				if !tr.start && !tr.strict && seqAt(toks, j, tr.seq) {
					return j
				}
			}
		}
	}
	return len(toks)
}

// meetingMeta verbs after "let's" steer the conversation itself.
var meetingMeta = set("go", "talk", "discuss", "look", "review", "recap", "walk", "run", "start", "begin", "focus",
	"move", "switch", "hear", "take", "circle", "pick", "get", "share", "pull", "show", "jump")

// finiteVerbs mark the start of a new clause after a comma.
var finiteVerbs = set("is", "was", "are", "were", "isn't", "wasn't", "aren't", "weren't", "has", "had", "will", "'s",
	"looks", "seems", "said", "says", "costs", "expires", "closes", "opens", "starts", "ends")

// askVerbs take an "if"/"whether" clause as their object.
var askVerbs = set("ask", "check", "see", "find", "confirm", "know", "figure", "verify", "double-check", "test")

// dropYouAfter are verbs whose indirect object "you" goes in the task:
// "send you the deck" -> "Send the deck".
var dropYouAfter = set("send", "give", "show", "forward", "email", "get", "bring", "pass", "mail", "text")

var determiners = set("the", "a", "an", "my", "our", "this", "that", "these", "those", "some", "over", "all", "both")

func (d *doc) makeAction(si int, tr trigger, trigAt, k, end int) (action, bool) {
	s := &d.sents[si]
	toks := s.toks
	for end > k+1 && (dropTrailing[toks[end-1].low] || toks[end-1].kind == tPunct) {
		// "for me" and "if possible" go; "the", "to" dangling at a cut go.
		end--
	}
	body := toks[k:end]
	content, tw := 0, 0
	for _, t := range body {
		if isContent(t) {
			content++
		}
		if isTimeWord(t.low) {
			tw++
		}
	}
	if content+min(tw, 1) < 2 || len(body) < 2 {
		return action{}, false
	}
	var b strings.Builder
	if tr.keep != "" {
		b.WriteString(tr.keep)
		b.WriteByte(' ')
	}
	if tr.kind == tkNamed {
		b.WriteString(s.text[toks[trigAt].start:toks[trigAt].end])
		b.WriteString(" to ")
	}
	verb := body[0].low
	if tr.gerund {
		verb = verbFromGerund(verb)
	}
	rest := 1
	if tr.keep != "" {
		rest = 0 // the clause as said: "Make sure" + "the invoice goes out"
	} else {
		b.WriteString(verb)
	}
	if tr.keep == "" && dropYouAfter[verb] && len(body) > 2 && body[1].low == "you" && (isContent(body[2]) || determiners[body[2].low]) {
		rest = 2
	}
	if rest < len(body) {
		if body[rest].space || rest == 2 || rest == 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.text[body[rest].start:body[len(body)-1].end])
	}
	// A task is a line in a to-do list; 200 characters is already long
	// (the API allows 500).
	desc := capitalize(clip(strings.Join(strings.Fields(b.String()), " "), 200))
	a := action{desc: desc, words: map[string]bool{}, nouns: map[string]bool{}, sent: si, kind: tr.kind}
	for n, t := range body {
		if isContent(t) {
			a.words[stem(t.low)] = true
			if n > 0 && t.kind == tWord && !verbs[t.low] && !isTimeWord(t.low) {
				a.nouns[stem(t.low)] = true
			}
		}
	}
	a.due = d.dueDate(si, toks[k].start, toks[end-1].end, trigAt)
	return a, true
}

// dueDate is the date or time expression inside the task, or else one
// earlier in the same sentence ("By Friday, can you..."), if it is not in
// the past. A day without a time is due at the end of the working day.
func (d *doc) dueDate(si, from, to, trigAt int) *time.Time {
	fs := d.times(si)
	pick := -1
	for n, f := range fs {
		if f.Start >= from && f.End <= to {
			pick = n
			break
		}
	}
	if pick < 0 && trigAt >= 0 {
		trigStart := d.sents[si].toks[trigAt].start
		for n, f := range fs {
			if f.End <= trigStart {
				pick = n
			}
		}
	}
	if pick < 0 {
		return nil
	}
	f := fs[pick]
	t := f.Time
	if !f.HasClock {
		t = t.Add(17 * time.Hour)
	}
	if t.Before(d.ref.Add(-time.Hour)) {
		return nil
	}
	return &t
}
