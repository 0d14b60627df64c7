package process

import (
	"strings"

	omi "github.com/omi-devapi/omi-devapi"
)

// categoryTerms is the lexicon behind the category: words and phrases
// ("a_b" is the phrase "a b", up to three words) that point to each CategoryEnum
// value. Words are matched as written and stemmed ("meetings" ->
// "meeting"); a phrase counts double. "other" has no terms: it is what is
// left when nothing scores.
var categoryTerms = map[string]string{
	"work": `meeting standup stand-up sprint jira ticket tickets backlog roadmap deliverable deliverables okr okrs
		deadline manager colleague coworker coworkers boss office onboarding offboarding teammate teammates
		project projects stakeholder stakeholders slack retro retrospective kickoff 1:1 one-on-one sync
		headcount promotion performance_review all-hands quarterly q1 q2 q3 q4 hr payroll agenda
		workload shift timesheet bandwidth escalation escalate team_meeting status_update next_steps
		action_items the_team my_team our_team work_from_home wfh sprint_planning dashboard spreadsheet
		slides deck presentation report reports review_meeting org reorg hiring hire recruiter candidate
		interview`,
	"business": `client clients customer customers sales revenue pricing price quote proposal deal deals pipeline
		invoice invoices vendor vendors procurement contract renewal churn upsell leads prospect prospects
		partnership partner partners market marketing brand campaign b2b b2c saas subscription discount
		purchase_order account_manager enterprise license licenses seats margin margins profit supplier
		suppliers wholesale retail inventory shipment logistics rfp kpi kpis quota competitor competitors
		go-to-market distribution sales_call demo trial pilot onboarding_call`,
	"entrepreneurship": `startup startups founder founders cofounder co-founder investor investors fundraising
		fundraise seed pre-seed series_a vc vcs venture pitch_deck valuation runway burn mvp product-market_fit
		accelerator incubator angel equity cap_table bootstrapped bootstrap traction side_hustle
		launch_my my_own_business own_company start_a_company term_sheet`,
	"finance": `budget budgets money savings  saving bank banking loan loans mortgage_payment credit debit
		debt interest_rate invest investing investment investments stock stocks portfolio retirement 401k ira
		tax taxes irs expense expenses spending salary paycheck bills bill payment payments insurance
		crypto bitcoin dividend accountant bookkeeping refund reimbursement credit_card checking_account
		emergency_fund net_worth financial`,
	"economics": `economy economic economics inflation recession gdp unemployment interest_rates federal_reserve
		fed monetary fiscal tariffs tariff trade_deficit supply_chain labor_market economist markets
		stagflation deflation central_bank`,
	"health": `doctor doctors dentist physician nurse hospital clinic appointment symptoms symptom pain fever
		cough medication medicine prescription pharmacy dose dosage blood pressure diagnosis treatment therapy
		physio physiotherapy surgery checkup check-up allergy allergic diet nutrition calories protein
		workout exercise gym sleep insomnia headache migraine injury knee back_pain x-ray mri scan vaccine
		vaccination flu covid sick illness healthy health cholesterol diabetes insulin vitamin vitamins
		meditation weight blood_test lab_results follow-up_appointment ibuprofen antibiotics dental tooth teeth
		molar cavity filling crown root_canal gums orthodontist braces x-ray vet sprain fracture limp`,
	"education": `class classes course courses lecture lectures professor teacher student students homework
		assignment assignments exam exams quiz test semester university college school campus tuition
		syllabus grade grades study studying learn learning curriculum thesis dissertation seminar tutor
		tutoring textbook chapter lesson lessons degree enrollment midterm final_exam office_hours
		problem_set lab`,
	"technology": `software code coding bug bugs deploy deployment api apis server servers database backend
		frontend app apps iphone android laptop computer ai machine_learning model models algorithm cloud
		aws kubernetes docker github git pull_request pr repo release latency outage migration
		infrastructure developer developers engineering engineer programming python javascript golang
		typescript react feature features integration endpoint ci pipeline_broke tech gadget chip
		chatgpt llm open_source data_center downtime postmortem incident certificate cert load_balancer cron
		runbook on-call alert alerts alerting monitoring pager sre devops uptime rollback hotfix firmware
		bandwidth_issue wifi router password login website websites web browser checkout_flow landing_page
		relaunch`,
	"travel": `flight flights airport airline boarding gate passport visa hotel hotels airbnb booking trip trips
		vacation holiday itinerary luggage suitcase baggage layover train_station road_trip travel traveling
		travelling tourist sightseeing rental_car car_rental check-in hotel_checkout destination abroad
		jet_lag beach resort cruise backpacking terminal`,
	"family": `mom dad mother father mum parents sister brother siblings grandma grandpa grandmother grandfather
		aunt uncle cousin cousins family relatives in-laws mother-in-law father-in-law wife husband
		thanksgiving family_dinner nephew niece reunion`,
	"parenting": `kid kids child children son daughter baby toddler daycare preschool kindergarten nanny
		babysitter diaper diapers bedtime tantrum parenting pediatrician playdate school_pickup pick_up_the_kids
		homework_help screen_time teenager teenagers potty nap naps parent-teacher`,
	"romantic": `girlfriend boyfriend partner  dating first_date anniversary valentine romantic romance relationship
		love_you crush proposal engagement engaged wedding honeymoon fiance fiancee date_night breakup
		tinder hinge roses earrings necklace jewelry jewellery perfume candlelit kiss table_for_two
		surprise_her surprise_him my_girlfriend my_boyfriend`,
	"social": `friends friend party parties birthday drinks hangout hang_out bbq barbecue brunch get-together
		catch_up catching_up game_night housewarming neighbors neighbour neighbor club  
		guests celebration celebrate wedding_guests reunion halloween costume costumes hosting potluck
		get_together`,
	"personal": `journal diary myself my_life feeling  feelings grateful gratitude goal goals habit habits
		routine morning_routine self-care reflection reflect personal errands chores groceries grocery
		laundry cleaning apartment note_to_self remind_me to-do todo`,
	"sports": `game match team score scored goal goals league season playoff playoffs coach training practice
		tournament championship football soccer basketball baseball tennis golf hockey cricket rugby
		marathon running  race cycling swimming climbing yoga player players referee stadium
		halftime nba nfl fifa olympics half_marathon 10k 5k workout`,
	"music": `song songs album albums band bands concert concerts guitar piano drums singer singing lyrics
		playlist spotify gig tour musician melody chord chords rehearsal recital orchestra jazz rock
		hip-hop rap vinyl festival setlist record_label`,
	"entertainment": `movie movies film films tv_show netflix  shows series episode episodes season_finale tv
		television streaming actor actress theater theatre comedy standup_comedy video_game video_games
		gaming youtube podcast podcasts trailer oscars marvel hbo disney binge`,
	"legal": `lawyer attorney legal law court judge lawsuit sue sued contract_review clause clauses nda
		agreement liability compliance regulation regulations gdpr trademark patent copyright litigation
		settlement custody divorce_papers  notary lease_agreement terms_of_service counsel paralegal
		subpoena testimony deposition`,
	"real": `real_estate realtor listing listings open_house mortgage down_payment closing escrow appraisal
		inspection property properties square_feet sq_ft landlord tenant tenants rent lease condo
		townhouse house_hunting offer_on zoning hoa apartment_viewing viewing first-time_buyer`,
	"science": `research researcher experiment experiments hypothesis data_set dataset study_results physics
		chemistry biology lab_results scientist scientists molecule cells genome dna telescope astronomy
		quantum particle evolution peer_review journal_article paper papers neuroscience climate_model`,
	"psychology": `anxiety anxious depression therapist therapy_session mental_health stress stressed burnout
		burned_out trauma emotions emotional mindset cognitive behavior behaviour motivation procrastination
		self-esteem confidence overthinking panic attachment psychologist counseling cbt mindfulness`,
	"spiritual": `church prayer pray praying god faith spiritual spirituality meditation temple mosque
		synagogue bible scripture soul karma buddhism universe sermon worship retreat blessing blessed`,
	"politics": `election elections vote voting voter candidate campaign_trail senate congress parliament
		president prime_minister government policy policies democrat democrats republican republicans
		political politics politician legislation bill_passed mayor governor debate ballot`,
	"news": `news headline headlines breaking reported journalist article press announcement announced
		coverage newspaper reporter reuters`,
	"weather": `weather forecast rain raining snow snowing storm sunny temperature degrees humidity heatwave
		heat_wave hurricane thunderstorm umbrella cloudy windy freezing`,
	"design": `design designer designs mockup mockups wireframe wireframes figma prototype prototypes ui ux
		typography layout palette color_scheme branding logo sketch illustration font fonts user_research
		usability`,
	"architecture": `architect architects architecture blueprint blueprints floor_plan floor_plans facade
		building_permit structural renovation construction zoning_board load-bearing skyscraper
		cathedral building_design remodel remodeling renovating contractor beam beams drywall joist joists
		foundation permit permits cabinets countertop countertops tiling kitchen_remodel structural_engineer
		load_bearing`,
	"literature": `book books novel novels author authors poem poems poetry chapter_one reading_list book_club
		fiction nonfiction memoir publisher manuscript literary prose kindle audiobook plot protagonist
		narrator characters pages chapters paperback hardcover bookstore reread`,
	"history": `history historical war century ancient empire revolution medieval dynasty civilization museum
		archive archives historian ww2 wwii world_war civil_war`,
	"environment": `climate climate_change carbon emissions renewable solar wind_power recycling recycle
		sustainability sustainable pollution plastic compost composting environment environmental
		biodiversity deforestation conservation electric_vehicle ev net_zero`,
	"philosophy": `philosophy philosopher meaning_of_life existential ethics ethical morality moral
		consciousness free_will stoic stoicism nietzsche socrates plato kant metaphysics epistemology
		purpose`,
	"inspiration": `inspiration inspired inspiring motivated dream dreams believe_in passion quote vision
		ambition aspire achieve potential never_give_up growth_mindset`,
}

type catWeight struct {
	cat    string
	weight int
}

var categoryIndex = func() map[string][]catWeight {
	idx := map[string][]catWeight{}
	for cat, terms := range categoryTerms {
		for _, term := range strings.Fields(terms) {
			w := 1
			if strings.Contains(term, "_") {
				term, w = strings.ReplaceAll(term, "_", " "), 2
			}
			idx[term] = append(idx[term], catWeight{cat, w})
		}
	}
	return idx
}()

var categoryEmoji = map[string]string{
	"personal": "📝", "education": "🎓", "health": "🩺", "finance": "💰", "legal": "⚖️", "philosophy": "🤔",
	"spiritual": "🙏", "science": "🔬", "entrepreneurship": "🚀", "parenting": "👶", "romantic": "❤️",
	"travel": "✈️", "inspiration": "💡", "technology": "💻", "business": "💼", "social": "🎉", "work": "📋",
	"sports": "⚽", "politics": "🏛️", "literature": "📚", "history": "📜", "architecture": "🏗️", "music": "🎵",
	"weather": "🌦️", "news": "📰", "entertainment": "🎬", "psychology": "🧠", "real": "🏠", "design": "🎨",
	"family": "👪", "economics": "📈", "environment": "🌱", "other": defaultEmoji,
}

// minCategoryScore is the evidence a category needs; below it the
// conversation is "other", as upstream defaults when the model names none.
const minCategoryScore = 2

// category scores every CategoryEnum value by the lexicon hits in the
// conversation and returns the best; ties go to the earlier enum value.
func (d *doc) category() string {
	score := map[string]int{}
	add := func(term string) bool {
		ws, ok := categoryIndex[term]
		for _, w := range ws {
			score[w.cat] += w.weight
		}
		return ok
	}
	for _, s := range d.sents {
		for k, t := range s.toks {
			if t.kind == tPunct {
				continue
			}
			if k+1 < len(s.toks) && s.toks[k+1].kind != tPunct {
				add(t.low + " " + s.toks[k+1].low)
				if k+2 < len(s.toks) && s.toks[k+2].kind != tPunct {
					add(t.low + " " + s.toks[k+1].low + " " + s.toks[k+2].low)
				}
			}
			if !add(t.low) && t.low != stem(t.low) {
				add(stem(t.low))
			}
		}
	}
	best, bestScore := "other", minCategoryScore-1
	for _, c := range omi.ConversationCategories {
		if score[c] > bestScore {
			best, bestScore = c, score[c]
		}
	}
	return best
}
