package seed

import (
	"math/rand/v2"
	"strings"
)

// The generator writes English-like text from word lists, picking early
// entries more often than late ones, so a few words are common and most are
// rare (as in real text, which is what makes lexical search costs realistic:
// a query term can match a hundred rows or a hundred thousand).

var (
	people = []string{
		"Sarah", "Tom", "Priya", "Marco", "Aiko", "Lena", "Omar", "Grace", "Diego", "Mei", "Jonas", "Fatima",
		"Ben", "Chloe", "Ravi", "Elena", "Kwame", "Noor", "Lucas", "Hannah", "Yusuf", "Ingrid", "Mateo", "Zara",
		"Felix", "Amara", "Oscar", "Leila", "Hugo", "Sofia", "Arjun", "Nina", "Theo", "Maya", "Samuel", "Iris",
	}
	relations = []string{
		"sister", "brother", "manager", "colleague", "partner", "friend", "neighbour", "mother", "father",
		"cousin", "mentor", "landlord", "doctor", "coach", "teacher", "daughter", "son", "roommate", "client",
	}
	drinks = []string{
		"oat milk lattes", "black coffee", "green tea", "sparkling water", "matcha", "espresso", "chai",
		"kombucha", "hot chocolate", "iced americanos", "peppermint tea", "orange juice", "flat whites",
	}
	foods = []string{
		"spicy ramen", "sourdough bread", "sushi", "vegetarian curry", "tacos", "pad thai", "dark chocolate",
		"greek salad", "pho", "dumplings", "falafel wraps", "lasagne", "blueberry pancakes", "risotto",
		"avocado toast", "kimchi fried rice", "margherita pizza", "lentil soup", "poke bowls", "croissants",
	}
	activities = []string{
		"running", "rock climbing", "yoga", "swimming", "cycling", "chess", "painting", "piano", "hiking",
		"photography", "woodworking", "gardening", "pottery", "salsa dancing", "bouldering", "baking bread",
		"birdwatching", "surfing", "journaling", "meditation", "tennis", "knitting", "skiing", "rowing",
		"calligraphy", "astronomy", "beekeeping", "fencing", "origami", "kayaking", "sailing", "archery",
	}
	skills = []string{
		"Spanish", "Go programming", "public speaking", "machine learning", "Japanese", "guitar", "SQL",
		"negotiation", "data visualisation", "Rust", "sign language", "video editing", "French", "statistics",
		"watercolour", "product design", "Kubernetes", "first aid", "touch typing", "copywriting", "Mandarin",
	}
	places = []string{
		"the river path", "the office", "the farmers market", "the climbing gym", "the library", "the park",
		"the coffee shop on Main Street", "the co-working space", "the community garden", "the lake",
		"the train station", "the old harbour", "the museum", "the bakery downtown", "the trailhead", "home",
	}
	times = []string{
		"on Tuesdays", "every morning", "on weekends", "after work", "before breakfast", "on Sunday evenings",
		"twice a week", "at lunch", "once a month", "late at night", "on Friday afternoons", "every other day",
	}
	projects = []string{
		"billing migration", "mobile app redesign", "quarterly planning", "data warehouse", "onboarding flow",
		"search relevance", "customer portal", "hiring pipeline", "annual report", "security audit",
		"launch event", "pricing experiment", "API gateway", "support handbook", "warehouse inventory",
	}
	companies = []string{
		"Northwind", "Acme Robotics", "Bluefin Labs", "Helios Energy", "Parcel & Co", "Quill Studio",
		"Juniper Health", "Atlas Freight", "Lumen Bank", "Orchard Foods", "Cobalt Systems", "Meridian Travel",
	}
	feelings = []string{
		"excited about", "worried about", "proud of", "curious about", "frustrated by", "grateful for",
		"nervous about", "happy with", "unsure about", "motivated by",
	}
	cities = []string{
		"Lisbon", "Kyoto", "Berlin", "Mexico City", "Cape Town", "Vancouver", "Seoul", "Edinburgh", "Oaxaca",
		"Copenhagen", "Hanoi", "Buenos Aires", "Reykjavik", "Marrakesh", "Melbourne", "Istanbul",
	}
	fillers = []string{
		"honestly", "I think", "you know", "actually", "basically", "to be fair", "anyway", "so",
		"right", "I mean", "like I said", "by the way",
	}
)

// skewed picks from list, favouring the front: the first entries come up a
// few times as often as the last.
func skewed(r *rand.Rand, list []string) string {
	u := r.Float64()
	return list[int(u*u*float64(len(list)))]
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

// memoryText is one fact about the user, 40-300 characters: one to three
// clauses from templates.
func memoryText(r *rand.Rand) string {
	var b strings.Builder
	n := 1 + r.IntN(3)
	for i := range n {
		if i > 0 {
			b.WriteString(pick(r, []string{"; ", ". Also, ", ", and ", ". "}))
		}
		b.WriteString(clause(r, i == 0))
	}
	b.WriteByte('.')
	return b.String()
}

func clause(r *rand.Rand, first bool) string {
	subject := "the user"
	if first {
		subject = "The user"
	}
	switch r.IntN(14) {
	case 0:
		return subject + " prefers " + skewed(r, drinks) + " " + skewed(r, times)
	case 1:
		return subject + " enjoys " + skewed(r, activities) + " at " + skewed(r, places) + " " + skewed(r, times)
	case 2:
		return subject + "'s " + pick(r, relations) + " " + pick(r, people) + " recommended " + skewed(r, foods)
	case 3:
		return subject + " is learning " + skewed(r, skills) + " and practises " + skewed(r, times)
	case 4:
		return subject + " works at " + pick(r, companies) + " on the " + skewed(r, projects) + " project"
	case 5:
		return subject + " is " + pick(r, feelings) + " the " + skewed(r, projects) + " deadline"
	case 6:
		return subject + " is planning a trip to " + skewed(r, cities) + " with " + pick(r, people)
	case 7:
		return subject + " avoids " + skewed(r, foods) + " after " + pick(r, []string{"6pm", "8pm", "9pm", "dinner"})
	case 8:
		return subject + " meets " + pick(r, people) + " at " + skewed(r, places) + " " + skewed(r, times)
	case 9:
		return subject + " wants to get better at " + skewed(r, activities) + " this year"
	case 10:
		return subject + " has a " + pick(r, []string{"dog", "cat", "parrot", "rabbit", "tortoise"}) + " named " + pick(r, people)
	case 11:
		return subject + " finds " + skewed(r, skills) + " easier after " + skewed(r, activities)
	case 12:
		return subject + "'s favourite place to read is " + skewed(r, places)
	default:
		return subject + " is allergic to " + pick(r, []string{"peanuts", "shellfish", "pollen", "cats", "penicillin", "dust"})
	}
}

// utterance is one transcript line, 6-40 words.
func utterance(r *rand.Rand) string {
	var parts []string
	if r.IntN(3) == 0 {
		parts = append(parts, capitalise(pick(r, fillers))+",")
	}
	switch r.IntN(10) {
	case 0:
		parts = append(parts, "we should finish the", skewed(r, projects), "before", pick(r, []string{"Friday", "the end of the month", "next sprint", "the offsite"}))
	case 1:
		parts = append(parts, "did you try the", skewed(r, foods), "at", skewed(r, places)+"?")
	case 2:
		parts = append(parts, "I've been doing a lot of", skewed(r, activities), "lately and it really helps me switch off")
	case 3:
		parts = append(parts, "my", pick(r, relations), pick(r, people), "is flying to", skewed(r, cities), "next week")
	case 4:
		parts = append(parts, "can you remind me to call", pick(r, people), "about the", skewed(r, projects)+"?")
	case 5:
		parts = append(parts, "I'm trying to learn", skewed(r, skills), "but finding the time is hard")
	case 6:
		parts = append(parts, "let's grab", skewed(r, drinks), "at", skewed(r, places), skewed(r, times))
	case 7:
		parts = append(parts, "the numbers for", pick(r, companies), "look better than last quarter, mostly thanks to the", skewed(r, projects))
	case 8:
		parts = append(parts, "yeah, that makes sense")
	default:
		parts = append(parts, "I'm", pick(r, feelings), "the trip to", skewed(r, cities), "because we still haven't booked anything")
	}
	s := strings.Join(parts, " ")
	if !strings.HasSuffix(s, "?") {
		s += "."
	}
	return capitalise(s)
}

func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// conversationTopic is a title and overview.
func conversationTopic(r *rand.Rand) (title, overview string) {
	switch r.IntN(5) {
	case 0:
		p := skewed(r, projects)
		return "Planning the " + p, "A discussion about the " + p + " at " + pick(r, companies) +
			": open questions, who owns what, and the deadline. " + pick(r, people) + " will follow up."
	case 1:
		c := skewed(r, cities)
		return "Trip to " + c, "Talked through travel plans for " + c + " with " + pick(r, people) +
			", including flights, where to stay and which " + skewed(r, foods) + " places to try."
	case 2:
		a := skewed(r, activities)
		return "Getting into " + a, "A conversation about " + a + ", how often to practise, and gear to buy before the next session at " + skewed(r, places) + "."
	case 3:
		s := skewed(r, skills)
		return "Learning " + s, "Notes on learning " + s + ": resources, a weekly schedule and a study partner, " + pick(r, people) + "."
	default:
		p := pick(r, people)
		return "Catch-up with " + p, "Caught up with " + p + " over " + skewed(r, drinks) + " about family, work at " + pick(r, companies) + " and weekend plans."
	}
}

var taskVerbs = []string{"Call", "Email", "Book", "Review", "Send", "Buy", "Schedule", "Finish", "Renew", "Prepare"}

// taskText is an action item description.
func taskText(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return pick(r, taskVerbs) + " " + pick(r, people) + " about the " + skewed(r, projects)
	case 1:
		return "Book flights to " + skewed(r, cities) + " for the trip with " + pick(r, people)
	case 2:
		return pick(r, taskVerbs) + " the " + skewed(r, projects) + " notes before the meeting"
	default:
		return "Buy " + skewed(r, foods) + " for dinner with " + pick(r, relations) + " " + pick(r, people)
	}
}

var goalTitles = []string{
	"Run a half marathon", "Read 24 books this year", "Learn conversational Spanish", "Meditate daily",
	"Save for a trip to Japan", "Ship the mobile app redesign", "Cook at home five nights a week",
	"Get to 10,000 steps a day", "Write a blog post every month", "Sleep eight hours a night",
}
