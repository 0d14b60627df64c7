package process

import (
	"strings"

	omi "github.com/omi-devapi/omi-devapi"
)

// Memory categories used by the built-in processor: preferences, hobbies
// and opinions are "interesting"; biographical facts are "system".
const (
	memInteresting = "interesting"
	memSystem      = "system"
)

// memories extracts first-person facts and preferences from the user's
// own sentences and rewrites them about the user: "I'm allergic to
// peanuts" -> "User is allergic to peanuts".
func (d *doc) memories() []omi.ExtractedMemory {
	out := []omi.ExtractedMemory{}
	seen := map[string]bool{}
	for i := range d.sents {
		s := &d.sents[i]
		if !s.user || s.question {
			continue
		}
		for _, m := range factsIn(s) {
			key := strings.ToLower(m.Content)
			if seen[key] || len(m.Content) > maxText {
				continue
			}
			seen[key] = true
			out = append(out, m)
			if len(out) == maxMemories {
				return out
			}
		}
	}
	return out
}

// hypothetical words before "I" make the statement not a fact: "if I
// lived in Paris", "I wish I liked running".
var hypothetical = set("if", "wish", "would", "suppose", "imagine", "pretend", "unless", "whether", "when", "think",
	"guess", "maybe", "said", "says", "asked", "thought", "hope", "bet", "know", "than", "like", "what", "why")

var likeVerbs = map[string]string{
	"like": "likes", "love": "loves", "enjoy": "enjoys", "adore": "adores", "prefer": "prefers", "hate": "hates",
	"dislike": "dislikes", "detest": "detests",
}

var factAdverbs = set("really", "also", "just", "absolutely", "totally", "actually", "honestly", "genuinely", "still",
	"truly", "definitely", "especially", "kinda", "do", "personally", "generally", "mostly", "currently", "now",
	"already", "obviously", "seriously", "literally")

// relations are the people and pets "my ..." facts are about.
var relations = set("wife", "husband", "partner", "girlfriend", "boyfriend", "fiance", "fiancé", "fiancee", "fiancée",
	"son", "daughter", "kid", "kids", "child", "children", "baby", "mom", "mum", "mother", "dad", "father",
	"parents", "brother", "sister", "sibling", "grandma", "grandmother", "grandpa", "grandfather", "aunt", "uncle",
	"cousin", "dog", "cat", "puppy", "kitten", "boss", "manager", "roommate", "stepson", "stepdaughter",
	"twins", "nephew", "niece", "in-laws", "bestie")

// relationVerbs may follow "my <relation>" in a fact about them. Reported
// speech ("my wife said") and passing events ("my son broke") are not facts.
var relationVerbs = set("is", "works", "lives", "turned", "turns", "plays", "loves", "likes", "goes", "has",
	"studies", "teaches", "hates", "speaks", "was", "just", "runs", "owns", "graduated", "started", "attends")

// identityNouns complete "I'm a ..." as a fact about the user.
var identityNouns = set("nurse", "doctor", "teacher", "engineer", "developer", "designer", "vegetarian", "vegan",
	"runner", "student", "manager", "lawyer", "accountant", "writer", "artist", "musician", "photographer",
	"chef", "cook", "person", "owl", "introvert", "extrovert", "parent", "mom", "dad", "father", "mother",
	"freelancer", "consultant", "founder", "scientist", "researcher", "programmer", "pilot", "farmer",
	"architect", "pharmacist", "therapist", "dentist", "veteran", "member", "fan", "climber", "cyclist",
	"swimmer", "gamer", "reader", "christian", "muslim", "buddhist", "hindu", "atheist", "lover", "believer",
	"pescatarian", "coach", "professor", "analyst", "entrepreneur", "paramedic", "electrician", "plumber",
	"carpenter", "mechanic", "translator", "journalist", "editor", "vet", "surgeon", "physician", "citizen",
	"native", "grandparent", "grandmother", "grandfather", "volunteer", "baker", "barista", "driver",
	"hiker", "surfer", "skier", "dancer", "singer", "guitarist", "pianist", "drummer", "knitter", "gardener",
	"birder", "collector", "golfer", "biker", "triathlete", "marathoner", "owner", "homeowner", "renter",
	"sophomore", "junior", "senior", "freshman", "intern", "contractor", "ceo", "cto", "pm", "nerd", "geek",
	"foodie", "smoker", "nonsmoker", "non-smoker", "twin", "only", "child")

// hobbyNouns make "I'm a runner" a hobby (interesting), not a biography fact.
var hobbyNouns = set("runner", "climber", "cyclist", "swimmer", "gamer", "reader", "fan", "lover", "hiker", "surfer",
	"skier", "dancer", "knitter", "gardener", "birder", "collector", "golfer", "biker", "triathlete",
	"marathoner", "foodie", "owl", "person", "believer", "nerd", "geek")

// identityAdjectives complete "I'm ..." with no article: "I'm vegetarian".
var identityAdjectives = set("vegetarian", "vegan", "pescatarian", "diabetic", "married", "single", "divorced",
	"engaged", "pregnant", "retired", "left-handed", "right-handed", "lactose", "gluten-free", "colorblind",
	"self-employed", "unemployed", "introverted", "extroverted", "celiac", "sober", "bilingual", "trilingual",
	"catholic", "jewish", "muslim", "christian", "buddhist", "hindu", "atheist", "allergic", "widowed",
	"deaf", "asthmatic", "epileptic", "dyslexic", "autistic", "adopted")

var counts = set("a", "an", "one", "two", "three", "four", "five", "six", "twin", "twins", "no")

func factsIn(s *sentence) []omi.ExtractedMemory {
	toks := s.toks
	var out []omi.ExtractedMemory
	add := func(cat, content string) {
		content = strings.Join(strings.Fields(content), " ")
		if content != "" {
			out = append(out, omi.ExtractedMemory{Content: clip(content, maxText), Category: cat})
		}
	}
	low := s.low
	for k := 0; k < len(toks); k++ {
		w := toks[k].low
		if w != "i" && w != "i'm" && w != "i've" && w != "my" && w != "im" && w != "ive" {
			continue
		}
		if hypothetical[low(k-1)] || hypothetical[low(k-2)] && low(k-1) != "and" {
			continue
		}
		j := k + 1
		switch {
		case w == "i" && low(j) == "am", w == "i'm", w == "im":
			if w == "i" {
				j++
			}
			for factAdverbs[low(j)] {
				j++
			}
			if f, ok := iAm(s, j); ok {
				add(f.Category, f.Content)
			}
		case w == "i" && low(j) == "have" && low(j+1) == "been", w == "i've" || w == "ive":
			if w == "i" {
				j++
			}
			if f, ok := iHave(s, j); ok {
				add(f.Category, f.Content)
			}
		case w == "i":
			for factAdverbs[low(j)] {
				j++
			}
			if f, ok := iVerb(s, j); ok {
				add(f.Category, f.Content)
			}
		case w == "my":
			if f, ok := myFact(s, j); ok {
				add(f.Category, f.Content)
			}
		}
	}
	return out
}

// phrase returns the object starting at j, rewritten about the user
// ("my" -> "their"), up to the end of its clause; "" when it has no
// content word.
func phrase(s *sentence, j int) string {
	toks := s.toks
	end := j
	for end < len(toks) && end-j < 14 {
		t := toks[end]
		if t.kind == tPunct && t.low != "'" && t.low != "-" && t.low != "&" && t.low != "/" && t.low != "." {
			break
		}
		if t.low == "." && (end+1 >= len(toks) || toks[end+1].space) {
			break
		}
		if stopAt[t.low] || t.low == "when" || t.low == "if" || t.low == "and" && end+1 < len(toks) && clausePronouns[toks[end+1].low] ||
			t.low == "but" || t.low == "lol" {
			break
		}
		end++
	}
	for end > j && (memTrailing[toks[end-1].low] || toks[end-1].kind == tPunct) {
		end--
	}
	if end <= j {
		return ""
	}
	content := false
	var b strings.Builder
	for k := j; k < end; k++ {
		t := toks[k]
		if isContent(t) {
			content = true
		}
		if k > j && t.space {
			b.WriteByte(' ')
		}
		if r, ok := thirdPersonPronouns[t.low]; ok {
			b.WriteString(r)
			continue
		}
		b.WriteString(s.text[t.start:t.end])
	}
	if !content {
		return ""
	}
	return b.String()
}

var memTrailing = set("too", "lol", "haha", "though", "tho", "anyway", "honestly", "and", "or", "so", "a", "the", "to",
	"of", "very", "much", "really", "lot", "as", "well", "now", "you", "know", "right", "like", "okay", "ok")

var thirdPersonPronouns = map[string]string{
	"my": "their", "me": "them", "myself": "themselves", "i": "they", "i'm": "they're", "mine": "theirs",
	"i've": "they've", "i'll": "they'll", "i'd": "they'd", "our": "their", "we": "they", "us": "them",
}

// vagueObjects are objects that make "I like ..." about the conversation,
// not the user: "I like that", "I love how you did it".
var vagueObjects = set("it", "that", "this", "those", "these", "them", "you", "your", "how", "when", "what", "him",
	"her", "the", "if", "where", "hearing", "seeing", "having", "being", "him", "his", "there", "here", "yours",
	"we", "they", "she", "he", "so", "a", "an", "everything", "anything", "nothing")

func iVerb(s *sentence, j int) (omi.ExtractedMemory, bool) {
	toks := s.toks
	low := s.low
	v := low(j)
	neg := ""
	switch {
	case (v == "don't" || v == "dont") || v == "do" && low(j+1) == "not":
		neg = "does not "
	case v == "never":
		neg = "never "
	case v == "can't" && low(j+1) == "stand":
		if p := phrase(s, j+2); p != "" && !vagueObjects[low(j+2)] {
			return omi.ExtractedMemory{Content: "User cannot stand " + p, Category: memInteresting}, true
		}
		return omi.ExtractedMemory{}, false
	}
	if neg != "" {
		j++
		if v == "do" {
			j++
		}
		v = low(j)
		switch v {
		case "like", "enjoy", "eat", "drink", "smoke", "watch", "own":
			if p := phrase(s, j+1); p != "" && !vagueObjects[low(j+1)] {
				verb := v
				if neg == "never " {
					verb = thirdPerson(v)
				}
				return omi.ExtractedMemory{Content: "User " + neg + verb + " " + p, Category: memInteresting}, true
			}
		}
		return omi.ExtractedMemory{}, false
	}
	if v3, ok := likeVerbs[v]; ok {
		obj := low(j + 1)
		if vagueObjects[obj] || obj == "to" && low(j+2) == "" {
			return omi.ExtractedMemory{}, false
		}
		if p := phrase(s, j+1); p != "" {
			return omi.ExtractedMemory{Content: "User " + v3 + " " + p, Category: memInteresting}, true
		}
		return omi.ExtractedMemory{}, false
	}
	next := low(j + 1)
	var content, cat string
	switch v {
	case "work", "works":
		if next == "at" || next == "for" || next == "as" || next == "in" || next == "from" || next == "with" {
			content, cat = "User works "+phrase(s, j+1), memSystem
		}
	case "live":
		if next == "in" || next == "on" || next == "near" || next == "with" || next == "by" || next == "outside" {
			content, cat = "User lives "+phrase(s, j+1), memSystem
		}
	case "grew":
		if next == "up" && (low(j+2) == "in" || low(j+2) == "on" || low(j+2) == "near" || low(j+2) == "outside") {
			content, cat = "User grew up "+phrase(s, j+2), memSystem
		}
	case "was":
		if next == "born" && (low(j+2) == "in" || low(j+2) == "on") {
			content, cat = "User was born "+phrase(s, j+2), memSystem
		}
	case "moved":
		if next == "to" || next == "here" {
			content, cat = "User moved "+phrase(s, j+1), memSystem
		}
	case "speak":
		if j+1 < len(toks) && toks[j+1].upper {
			content, cat = "User speaks "+phrase(s, j+1), memSystem
		}
	case "studied", "study":
		if next != "" && !vagueObjects[next] && next != "for" && next != "with" {
			verb := "studied"
			if v == "study" {
				verb = "studies"
			}
			content, cat = "User "+verb+" "+phrase(s, j+1), memSystem
		}
	case "have", "got":
		if counts[next] && relations[strings.TrimSuffix(low(j+2), "s")] || counts[next] && relations[low(j+2)] ||
			counts[next] && relations[low(j+3)] && isContent(toks[min(j+2, len(toks)-1)]) {
			content, cat = "User has "+phrase(s, j+1), memSystem
		}
	case "play":
		if next != "" && !vagueObjects[next] && next != "with" && next != "around" {
			content, cat = "User plays "+phrase(s, j+1), memInteresting
		}
	case "usually", "always", "often", "normally", "typically":
		verb := low(j + 1)
		if verb == "" || stopWords[verb] && verb != "go" && verb != "get" && verb != "take" && verb != "make" || nonVerbStarts[verb] {
			break
		}
		if j+1 < len(toks) && toks[j+1].kind == tWord {
			rest := phrase(s, j+2)
			if rest != "" {
				content, cat = "User "+v+" "+thirdPerson(verb)+" "+rest, memInteresting
			}
		}
	}
	if content == "" || strings.HasSuffix(content, " ") {
		return omi.ExtractedMemory{}, false
	}
	return omi.ExtractedMemory{Content: content, Category: cat}, true
}

func iAm(s *sentence, j int) (omi.ExtractedMemory, bool) {
	toks := s.toks
	low := s.low
	v := low(j)
	next := low(j + 1)
	fact := s.fact
	switch {
	case v == "allergic" && next == "to":
		return fact(memSystem, "User is allergic to ", j+2)
	case v == "learning" || v == "studying":
		if !vagueObjects[next] && next != "about" {
			return fact(memInteresting, "User is "+v+" ", j+1)
		}
	case v == "training" && next == "for":
		return fact(memInteresting, "User is training for ", j+2)
	case v == "into" && !vagueObjects[next]:
		return fact(memInteresting, "User is into ", j+1)
	case (v == "from" || v == "originally" && next == "from") && j+1 < len(toks):
		at := j + 1
		if v == "originally" {
			at++
		}
		if at < len(toks) && toks[at].upper {
			return fact(memSystem, "User is from ", at)
		}
	case v == "married" && next == "to", v == "based" && next == "in", v == "moving" && next == "to":
		return fact(memSystem, "User is "+v+" "+next+" ", j+2)
	case v == "afraid" && next == "of", v == "obsessed" && next == "with", v == "terrified" && next == "of":
		return fact(memInteresting, "User is "+v+" "+next+" ", j+2)
	case v == "working" && (next == "at" || next == "as" || next == "for"):
		return fact(memSystem, "User works "+next+" ", j+2)
	case v == "a" || v == "an":
		// "I'm a nurse", "I'm a huge fan of jazz", "I'm a morning person".
		end := j + 1
		for end < len(toks) && end-j <= 4 && toks[end].kind == tWord && !stopWords[toks[end].low] {
			end++
		}
		if end == j+1 {
			return omi.ExtractedMemory{}, false
		}
		head := toks[end-1].low
		if !identityNouns[head] {
			return omi.ExtractedMemory{}, false
		}
		cat := memSystem
		if hobbyNouns[head] {
			cat = memInteresting
		}
		if (head == "fan" || head == "lover" || head == "member" || head == "believer") && (low(end) == "of" || low(end) == "in") {
			return fact(cat, "User is "+v+" "+s.text[toks[j+1].start:toks[end].end]+" ", end+1)
		}
		return omi.ExtractedMemory{Content: "User is " + s.text[toks[j].start:toks[end-1].end], Category: cat}, true
	case identityAdjectives[v]:
		end := j + 1
		if v == "lactose" && next == "intolerant" {
			end++
		}
		if v == "allergic" {
			return omi.ExtractedMemory{}, false
		}
		return omi.ExtractedMemory{Content: "User is " + s.text[toks[j].start:toks[end-1].end], Category: memSystem}, true
	}
	return omi.ExtractedMemory{}, false
}

func iHave(s *sentence, j int) (omi.ExtractedMemory, bool) {
	low := s.low
	fact := s.fact
	switch low(j) {
	case "been":
		v := low(j + 1)
		switch v {
		case "learning", "playing", "studying", "practicing", "practising", "taking", "running", "teaching", "training",
			"reading", "doing", "using", "watching", "cooking", "baking", "writing", "collecting", "building":
			if !vagueObjects[low(j+2)] {
				return fact(memInteresting, "User has been "+v+" ", j+2)
			}
		case "working", "living":
			if n := low(j + 2); n == "at" || n == "in" || n == "as" || n == "for" {
				return fact(memSystem, "User has been "+v+" "+n+" ", j+3)
			}
		case "vegetarian", "vegan", "married", "sober":
			return fact(memSystem, "User has been ", j+1)
		}
	case "lived":
		if low(j+1) == "in" || low(j+1) == "here" {
			return fact(memSystem, "User has lived ", j+1)
		}
	case "always":
		if low(j+1) == "wanted" && low(j+2) == "to" {
			return fact(memInteresting, "User has always wanted to ", j+3)
		}
	case "never":
		if low(j+1) == "been" && low(j+2) == "to" {
			return fact(memInteresting, "User has never been to ", j+3)
		}
	case "got":
		if counts[low(j+1)] && (relations[low(j+2)] || relations[low(j+3)]) {
			return fact(memSystem, "User has ", j+1)
		}
	}
	return omi.ExtractedMemory{}, false
}

func myFact(s *sentence, j int) (omi.ExtractedMemory, bool) {
	toks := s.toks
	low := s.low
	fact := s.fact
	w := low(j)
	switch {
	case w == "favorite" || w == "favourite":
		// "my favorite band is Radiohead"
		for k := j + 1; k < len(toks) && k <= j+4; k++ {
			if low(k) == "is" || low(k) == "are" {
				if k == j+1 {
					break
				}
				what := s.text[toks[j+1].start:toks[k-1].end]
				return fact(memInteresting, "User's favorite "+what+" "+low(k)+" ", k+1)
			}
		}
	case w == "name" && (low(j+1) == "is" || low(j+1) == "'s"), w == "name's":
		at := j + 1
		if w == "name" {
			at++
		}
		if at < len(toks) && toks[at].upper {
			return fact(memSystem, "User's name is ", at)
		}
	case (w == "birthday" || w == "birthday's") && (low(j+1) == "is" || w == "birthday's"):
		at := j + 2
		if w == "birthday's" {
			at = j + 1
		}
		return fact(memSystem, "User's birthday is ", at)
	case w == "hometown" && low(j+1) == "is":
		return fact(memSystem, "User's hometown is ", j+2)
	}
	// "my daughter Emma is turning 7", "my wife's name is Ana", "my dog is
	// called Biscuit", "my brother works at Google".
	rel := strings.TrimSuffix(w, "'s")
	if !relations[rel] && low(j) == "best" && low(j+1) == "friend" {
		rel, j = "best friend", j+1
	}
	if !relations[rel] && rel != "best friend" {
		return omi.ExtractedMemory{}, false
	}
	who := "User's " + rel
	k := j + 1
	if strings.HasSuffix(w, "'s") {
		if low(k) == "name" && (low(k+1) == "is" || low(k+1) == "'s") && k+2 < len(toks) && toks[k+2].upper {
			return fact(memSystem, who+" is named ", k+2)
		}
		if low(k) == "birthday" && low(k+1) == "is" {
			return fact(memSystem, who+"'s birthday is ", k+2)
		}
		return omi.ExtractedMemory{}, false
	}
	if k < len(toks) && toks[k].upper && toks[k].kind == tWord && !stopWords[toks[k].low] && !isTimeWord(toks[k].low) {
		name := s.text[toks[k].start:toks[k].end]
		k++
		if !relationVerbs[low(k)] || low(k) == "just" && !relationVerbs[low(k+1)] {
			return omi.ExtractedMemory{Content: who + " is named " + name, Category: memSystem}, true
		}
		who += " " + name
	}
	switch {
	case (low(k) == "is" || low(k) == "'s") && (low(k+1) == "named" || low(k+1) == "called") && k+2 < len(toks):
		return fact(memSystem, who+" is "+low(k+1)+" ", k+2)
	case relationVerbs[low(k)] && low(k) != "was" && low(k) != "just":
		if low(k) == "is" && (low(k+1) == "sick" || low(k+1) == "coming" || low(k+1) == "going" || low(k+1) == "here" ||
			low(k+1) == "on" || low(k+1) == "out" || low(k+1) == "at" || low(k+1) == "not" || low(k+1) == "so" ||
			low(k+1) == "still" || low(k+1) == "getting" || low(k+1) == "being" || low(k+1) == "having" || low(k+1) == "visiting") {
			return omi.ExtractedMemory{}, false
		}
		return fact(memSystem, who+" "+low(k)+" ", k+1)
	case low(k) == "just" && relationVerbs[low(k+1)]:
		return fact(memSystem, who+" "+low(k+1)+" ", k+2)
	}
	return omi.ExtractedMemory{}, false
}

// low is token k of the sentence lower-cased, or "" outside it.
func (s *sentence) low(k int) string {
	if k >= 0 && k < len(s.toks) {
		return s.toks[k].low
	}
	return ""
}

// fact is the memory prefix + the phrase starting at token at, of category
// cat; false when no phrase starts there.
func (s *sentence) fact(cat, prefix string, at int) (omi.ExtractedMemory, bool) {
	if p := phrase(s, at); p != "" {
		return omi.ExtractedMemory{Content: prefix + p, Category: cat}, true
	}
	return omi.ExtractedMemory{}, false
}
