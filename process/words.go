package process

import "strings"

// stopWords carry no topic: they are ignored when scoring sentences, picking
// titles and counting content.
var stopWords = set(strings.Fields(`
a about above after again against all almost also although always am an and another any anybody anyone
anything anyway anyways are aren't around as at away back be became because been before being below
between both but by came can can't cannot come comes could couldn't did didn't do does doesn't doing done
don't down during each either else enough even ever every everybody everyone everything few for from
further get gets getting go goes going gone gonna got gotta had hadn't has hasn't have haven't having he
he'd he'll he's her here here's hers herself him himself his how how's however i i'd i'll i'm i've if
in into is isn't it it'd it'll it's its itself just kind kinda know let let's like likely lot lots made
make makes many may maybe me might mine more most much must mustn't my myself need needs neither never
next no nobody none nor not nothing now of off often oh ok okay on once one ones only onto or other
others otherwise ought our ours ourselves out over own per perhaps please pretty put quite rather re
really right said same say says see seem seemed seems shall she she'd she'll she's should shouldn't
since so some somebody someone something sometimes somewhat soon sort still such sure take than that
that's the their theirs them themselves then there there's these they they'd they'll they're they've
thing things think this those though through thus til till to today together too toward towards
tomorrow u um uh under until up upon us use used very via want wanna was wasn't way we we'd we'll we're
we've well went were weren't what what's whatever when where where's whether which while who who's whom
whose why will with within without won't would wouldn't yeah yes yep yet you you'd you'll you're you've
your yours yourself yourselves ya yup hmm mm mhm huh ah eh hey hi hello bye alright cool great good nice
thanks thank actually basically literally totally definitely probably guess mean stuff sounds sound
tell told ask asked also anyway just able lets wanted wants every day week time way year
`)...)

// fillers are what people say when they say nothing; a conversation made
// only of these is discarded.
var fillers = set(strings.Fields(`
ok okay k kk yeah yes yep yup no nope nah sure right alright um uh hmm mm mhm huh ah oh eh hey hi hello bye
goodbye thanks thank thx you cool great good nice fine awesome lol haha hahaha so well and the a just
see cheers later ttyl got it gotcha sounds sound perfect test testing one two three is this on can hear
me
`)...)

// verbs is a lexicon of common English base-form verbs. It lets the
// action-item rules tell "please send the file" from "please, no", and
// split "send the deck and book the room" into two tasks.
var verbs = set(strings.Fields(`
accept add address adjust agree align answer apply approve arrange ask assign attach attend audit back
bake bring book borrow brief buy calculate call cancel change charge chase check circle clarify clean
clear close collect come compare complete confirm connect consider contact continue cook coordinate copy
correct cover create cut deal debug decide delete deliver deploy describe design discuss do document
double download draft drive drop edit email enroll escalate estimate evaluate excuse expense explain
export feed fetch figure file fill finalize find finish fix follow forward gather get give go grab
handle hire host identify implement improve include inform install introduce invite invoice join keep
label launch learn leave let line list load lock log look loop mail make manage mark measure meet
mention merge message migrate move negotiate note notify open order organize outline pack paint pass
pay phone pick ping plan plant post practice prep prepare present print prioritize process publish pull
purchase push put raise reach read rebook recap record reduce refill refund register reimburse
reinstall remember remind remove renew rent reorder repair replace reply report request research
reschedule reserve resolve respond restart return review revise rewrite run save scan schedule search
sell send set settle share ship shop shortlist sign sort speak start stop submit summarize swap switch
sync take talk test text think touch track train transfer translate try turn type update upgrade
upload validate verify visit vote walk wash water wrap write buy hang invite loop sketch draw flag
tighten cook rehearse memorize study practise practice stick bake confirm host declutter vacuum mow
iron tidy recheck restock stock cover drop sweep mop refactor benchmark profile rollback roll revert
interview onboard pitch outreach announce celebrate decorate wrap ship arrive avoid bring leave
attach backup block buy call catch choose clean collect comment compile configure contact convert
crop dispose donate drain draft dust empty encourage enter exchange fold freeze fund heat hire hold
inspect iron kick lend lower map mark match mention mount nudge offer oil pair pitch plug polish
pour present print prune quote rate recycle refer reimburse relabel renew replace reply research
reset resize rinse ship sort split spray store stretch submit swap take tape thaw trim unpack
unplug vaccinate warm weigh whiten wipe withdraw rsvp sign-up sign follow-up double-check
`)...)

// chattyVerbs open conversational sentences ("Look, ...", "Think about
// it", "Guess what") rather than instructions.
var chattyVerbs = set(strings.Fields(`
look think guess see say tell listen wait hold hang imagine picture mind trust believe come go get let
try talk speak keep stop take make do have give put run turn start walk move play feel hear
remember note notice consider compare heat cover light
`)...)

// imperativeVerbs are verbs that, opening a sentence that is not a
// question, make it a to-do on their own ("Call the plumber tomorrow.").
// Narrower than verbs: "look", "think", "try" open chatty sentences too.
var imperativeVerbs = set(strings.Fields(`
book buy call cancel email finish fix order pay pick renew reschedule schedule send submit text check
move put bring get find ask tell wash
confirm return sign file follow update prepare draft write reply register print pack refill charge
invoice upload review reserve rebook remind ping forward share collect drop grab water feed clean
`)...)

// verbFromGerund turns "sending" into "send" for "would you mind sending...".
func verbFromGerund(w string) string {
	if !strings.HasSuffix(w, "ing") || len(w) < 5 {
		return w
	}
	base := w[:len(w)-3]
	if verbs[base] {
		return base
	}
	if verbs[base+"e"] {
		return base + "e"
	}
	if n := len(base); n >= 2 && base[n-1] == base[n-2] && verbs[base[:n-1]] {
		return base[:n-1]
	}
	return base
}

// thirdPerson conjugates a base-form verb for "User ...".
func thirdPerson(v string) string {
	switch v {
	case "have":
		return "has"
	case "be", "am":
		return "is"
	case "do":
		return "does"
	case "go":
		return "goes"
	}
	if v == "" {
		return v
	}
	for _, suf := range []string{"s", "x", "z", "ch", "sh", "o"} {
		if strings.HasSuffix(v, suf) {
			return v + "es"
		}
	}
	if n := len(v); n >= 2 && v[n-1] == 'y' && !strings.ContainsRune("aeiou", rune(v[n-2])) {
		return v[:n-1] + "ies"
	}
	return v + "s"
}

// stem folds plurals and possessives so "meetings" and "meeting's" count
// as "meeting". Deliberately crude: it only has to be consistent.
func stem(w string) string {
	w = strings.TrimSuffix(w, "'s")
	if n := len(w); n > 3 && w[n-1] == 's' && w[n-2] != 's' && w[n-2] != 'u' && w[n-2] != 'i' {
		if strings.HasSuffix(w, "ies") {
			return w[:n-3] + "y"
		}
		return w[:n-1]
	}
	return w
}

func isContent(t token) bool {
	if t.kind == tNum {
		return true
	}
	return t.kind == tWord && len(t.low) > 1 && !stopWords[t.low]
}
