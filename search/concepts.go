package search

import "strings"

// conceptGroups are words people use for the same everyday thing. The
// offline embedder adds a shared feature for each group a word is in, so
// "spouse" lands near "wife" and "doctor" near "pediatrician" without a
// model. General vocabulary of personal notes and conversations (family,
// health, food, home, money, work, hobbies, time), not tuned to any data set.
var conceptGroups = []string{
	// People.
	"wife husband spouse partner fiance fiancee girlfriend boyfriend",
	"wedding married marry marriage bride groom engaged engagement",
	"mother mom mum mommy mama",
	"father dad daddy papa",
	"parent parents mother father mom mum dad",
	"brother sister sibling siblings",
	"son daughter child children kid kids toddler baby",
	"grandmother grandma granny nana grandfather grandpa grandparent grandparents",
	"friend friends buddy pal bestie",
	"birthday bday born",
	"colleague coworker teammate",
	"boss manager supervisor",
	"neighbour neighbor neighbourhood neighborhood community",

	// Health.
	"doctor physician gp dr pediatrician paediatrician clinic checkup specialist",
	"dentist dental teeth tooth orthodontist",
	"medication medicine meds pill pills prescription tablet dose",
	"allergy allergic allergies intolerant intolerance epipen anaphylaxis",
	"pain ache aches sore hurt hurts painful",
	"headache headaches migraine migraines",
	"anxiety anxious stress stressed worry worried nervous panic",
	"therapy therapist counseling counselling counselor psychologist psychiatrist mental",
	"sleep sleeping insomnia asleep tired nap bedtime",
	"exercise workout gym fitness",
	"run running jog jogging runner marathon",
	"bike bicycle cycling peloton",
	"swim swimming pool",
	"injury injured broke broken fracture sprain accident",
	"eye eyes eyesight vision sight glasses lasik blind optician",
	"hypertension cholesterol heart",
	"diet vegetarian vegan pescatarian keto paleo gluten",
	"meditate meditation mindfulness yoga",
	"pregnant pregnancy expecting",

	// Food and drink.
	"food meal meals eat eating dish cuisine dinner lunch breakfast",
	"restaurant cafe diner eatery bistro takeout",
	"coffee espresso latte cappuccino caffeine americano",
	"tea matcha chai",
	"milk dairy cheese lactose cream yogurt",
	"alcohol drinking beer wine booze drunk hangover",
	"cook cooking bake baking bakes recipe chef homemade",
	"bread sourdough loaf baguette",
	"garden gardening grow plant plants vegetable vegetables herbs",

	// Home and money.
	"house home apartment flat condo",
	"rent landlord lease tenant",
	"renovate renovation remodel contractor",
	"money cash funds finance finances financial",
	"save saving savings deposit aside",
	"budget spending spend expenses expense",
	"debt loan loans owe mortgage credit",
	"tax taxes irs accountant bookkeeper",
	"insurance insured premium coverage",
	"salary pay paycheck income wage",
	"buy bought purchase purchased",
	"grocery groceries supermarket market",

	// Work and travel.
	"job work career employer company office workplace profession occupation",
	"engineer developer programmer coder software coding code programming",
	"promotion promoted",
	"vacation holiday holidays trip travel traveling travelling visit journey getaway",
	"flight fly flying plane airport airline airplane",
	"commute commuting subway metro train bus transit",
	"car cars vehicle auto automobile suv truck drive drives driving tires tyres",

	// Pastimes.
	"music song songs band concert gig album musician",
	"guitar bass drums piano instrument violin",
	"movie movies film films cinema",
	"read reading novel novels author books",
	"game games boardgame gaming",
	"sport sports football soccer basketball baseball tennis match league",
	"ski skiing snowboard snowboarding",
	"dog dogs puppy pup retriever labrador terrier poodle pet pets",
	"cat cats kitten pet pets",
	"volunteer volunteering charity donate nonprofit",
	"learn learning study studying course class lesson lessons",
	"language languages spanish french japanese german italian chinese fluent",

	// Time.
	"morning mornings dawn wake",
	"evening night tonight",
	"weekend weekends saturday sunday",
	"autumn fall",

	// Everything else.
	"password passwords login credentials 2fa authentication",
	"laptop computer macbook pc",
	"phone iphone android mobile",
	"fear afraid scared phobia frightened terrified",
	"die died death passed dead funeral",
	"name named called",
	"goal goals aim aiming target resolution",
	"hate dislike avoid avoids",
	"favourite favorite fav prefer prefers preferred",
}

// concepts maps a word's stem to the groups it is in.
var concepts = func() map[string][]string {
	m := map[string][]string{}
	for _, g := range conceptGroups {
		words := strings.Fields(g)
		id := "c:" + words[0]
		for _, w := range words {
			s := stem(w)
			if !containsStr(m[s], id) {
				m[s] = append(m[s], id)
			}
		}
	}
	return m
}()

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
