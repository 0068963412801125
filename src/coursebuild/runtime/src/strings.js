// ------------------------------------------------------------------ interface strings

// Every string the runtime shows, by language (the course language's primary subtag). {name} is filled
// in; keys ending _one/_other are chosen by a count. Welsh: to be reviewed by a fluent Welsh speaker
// before publication (docs/translation.md). The theme's strings are in interface.py.
var STRINGS = {
  en: {
    saved: "Your progress has been saved.",
    saveFailed: "Your progress could not be saved to the learning system. Keep this window open; it will try again.",
    question: "Question {n}. ",
    answerAll: "Please answer every question before you submit. {n} still to answer.",
    passed: "You passed", notPassed: "You did not pass this time",
    scored: "You scored {score}%. The pass mark is {mark}%.",
    tryAgainAny: "You can try again.",
    attemptsLeft_one: "You have {n} attempt left.", attemptsLeft_other: "You have {n} attempts left.",
    tryAgain: "Try again",
    noAttempts: "You have used all your attempts. Please contact your course administrator.",
    shaper: "Shapers: regulation, evidence and policy", driver: "Drivers: strategy, procurement and the AI team",
    creator: "Creators: creating trustworthy AI", embedder: "Embedders: local validation, safety and monitoring",
    user: "Users: AI in clinical decisions",
    sectionsDone: "You have completed {done} of {total} sections.",
    assessmentScore: "Assessment score: {score}% (pass mark {mark}%).",
    noAssessment: "You have not taken the assessment yet.",
    courseScore: "Course score: {score}%, of which the scenarios count for {weight}% (your scenario score: {scenario}%). The pass mark is {mark}%.",
    suggested: "Courses suggested for you",
    searchFound_one: "{n} lesson mentions “{q}”", searchFound_other: "{n} lessons mention “{q}”",
    searchNone: "No lesson mentions “{q}”", searchFirst: "; the first {n} are listed",
    searchUnavailable: "Search is not available just now. Try again in a moment.",
    suggestedIntro: "From your answers, these advanced courses fit the work you do. You can hold more than one of these roles.",
    suggestedNone: "Your answers do not point to an advanced course yet. Start with the foundational course, and come back to this self-assessment as your role changes.",
    date: "Date: {date}",
    recorded: "Thank you: your answer has been recorded.",
    correct: "Correct.", notQuite: "Not quite.", tryAgainHint: " Read the feedback and try again if you like.",
    answerFirst: "Please answer the question first.",
    first: "Already first.", last: "Already last.",
    position: "{item}: position {n} of {total}",
    progress: "{done} of {total} sections complete"
  },
  cy: {
    saved: "Mae eich cynnydd wedi’i gadw.",
    saveFailed: "Nid oedd modd cadw eich cynnydd yn y system ddysgu. Cadwch y ffenestr hon ar agor; bydd yn rhoi cynnig arall arni.",
    question: "Cwestiwn {n}. ",
    answerAll: "Atebwch bob cwestiwn cyn cyflwyno. Cwestiynau heb eu hateb: {n}.",
    passed: "Rydych chi wedi pasio", notPassed: "Nid ydych chi wedi pasio y tro hwn",
    scored: "Eich sgôr oedd {score}%. Y marc pasio yw {mark}%.",
    tryAgainAny: "Gallwch roi cynnig arall arni.",
    // A count after a colon needs no mutation or plural form.
    attemptsLeft_one: "Cynigion sydd ar ôl gennych: {n}.", attemptsLeft_other: "Cynigion sydd ar ôl gennych: {n}.",
    tryAgain: "Rhoi cynnig arall arni",
    noAttempts: "Rydych chi wedi defnyddio pob cynnig. Cysylltwch â gweinyddwr eich cwrs.",
    // The advanced courses are in English only for now: their English titles, so learners can find them.
    shaper: "Shapers: regulation, evidence and policy (Saesneg)", driver: "Drivers: strategy, procurement and the AI team (Saesneg)",
    creator: "Creators: creating trustworthy AI (Saesneg)", embedder: "Embedders: local validation, safety and monitoring (Saesneg)",
    user: "Users: AI in clinical decisions (Saesneg)",
    sectionsDone: "Rydych chi wedi cwblhau {done} o {total} adran.",
    assessmentScore: "Sgôr yr asesiad: {score}% (marc pasio {mark}%).",
    noAssessment: "Nid ydych chi wedi sefyll yr asesiad eto.",
    courseScore: "Sgôr y cwrs: {score}%, ac mae’r senarios yn cyfrif am {weight}% ohono (eich sgôr yn y senarios: {scenario}%). Y marc pasio yw {mark}%.",
    suggested: "Cyrsiau a awgrymir i chi",
    searchFound_one: "Mae {n} wers yn sôn am “{q}”", searchFound_other: "Mae {n} o wersi’n sôn am “{q}”",
    searchNone: "Does dim gwers yn sôn am “{q}”", searchFirst: "; dangosir y {n} cyntaf",
    searchUnavailable: "Nid yw’r chwilio ar gael ar hyn o bryd. Rhowch gynnig arall arni mewn munud.",
    suggestedIntro: "Yn ôl eich atebion, mae’r cyrsiau uwch hyn yn addas i’r gwaith rydych chi’n ei wneud. Gallwch ddal mwy nag un o’r rolau hyn.",
    suggestedNone: "Nid yw eich atebion yn cyfeirio at gwrs uwch eto. Dechreuwch gyda’r cwrs sylfaen, a dewch yn ôl at yr hunanasesiad hwn wrth i’ch rôl newid.",
    date: "Dyddiad: {date}",
    recorded: "Diolch: mae eich ateb wedi’i gofnodi.",
    correct: "Cywir.", notQuite: "Ddim yn hollol.", tryAgainHint: " Darllenwch yr adborth a rhowch gynnig arall arni os hoffech chi.",
    answerFirst: "Atebwch y cwestiwn yn gyntaf.",
    first: "Mae hon yn gyntaf yn barod.", last: "Mae hon yn olaf yn barod.",
    position: "{item}: safle {n} o {total}",
    progress: "{done} o {total} adran wedi’u cwblhau"
  }
};
var TEXT = STRINGS.en;

// The course's language, set at start (main.js).
function setLanguage(language) {
  TEXT = STRINGS[String(language || "en").split("-")[0].toLowerCase()] || STRINGS.en;
}

function t(key, values) {
  if (values && typeof values.n === "number" && STRINGS.en[key + "_one"] !== undefined) key += values.n === 1 ? "_one" : "_other";
  var text = TEXT[key] !== undefined ? TEXT[key] : STRINGS.en[key];
  return text.replace(/\{(\w+)\}/g, function (all, name) { return values && values[name] !== undefined ? String(values[name]) : all; });
}

export { STRINGS, t, setLanguage };
