/**
 * Builds the clinical concept lexicon used by context selection's medical_relevance factor and the offline
 * extractor's medication and problem lists.
 *
 * Why built here: no installable package ships a categorised clinical vocabulary (UMLS, SNOMED CT,
 * RxNorm are licence-gated; npm's @cspell/dict-medicalterms and Debian's hunspell-en-med are flat
 * spelling lists without categories or synonyms). So the lexicon is mined reproducibly from the
 * shared training data:
 *   1. seed lists per category (problems, medications, anatomy, procedures, findings) plus suffix
 *      rules (-olol, -pril, -statin, -itis, -ectomy, -oscopy, ...) categorise single words;
 *   2. 1–3-word phrases from the clinicians' reference notes (ACI-Bench train `tgt`, MTS-Dialog
 *      train `section_text`) are kept when they recur and their head word is categorised
 *      ("left knee", "knee pain", "congestive heart failure");
 *   3. brand names, abbreviations and plurals map to one concept (tylenol -> acetaminophen);
 *   4. each concept's IDF is measured over every training encounter (transcript + note).
 *
 * Usage: `npx tsx scripts/build-lexicon.ts [--data ../shared/data] [--out packages/shared/src/clinical-lexicon/lexicon.json]`.
 * The output is deterministic for the same data; rebuilding changes concept ids, so stored
 * concept ids carry the lexicon version (see `LEXICON_VERSION` in concepts.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAciBench, loadMtsDialog } from '@clinote/shared/fixtures/datasets.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const dataDir = resolve(repoRoot, argValue('--data') ?? '../shared/data');
const outPath = resolve(repoRoot, argValue('--out') ?? 'packages/shared/src/clinical-lexicon/lexicon.json');
const aciTrain = resolve(dataDir, 'aci-bench/train.json');
const mtsTrain = resolve(dataDir, 'mts-dialog/train.csv');
for (const file of [aciTrain, mtsTrain]) {
  if (!existsSync(file)) {
    console.error(`build-lexicon: missing ${file}; the shared data must sit at ../shared/data (or pass --data)`);
    process.exit(1);
  }
}

type Category = 'problem' | 'medication' | 'anatomy' | 'procedure' | 'finding';
const CATEGORIES: Category[] = ['problem', 'medication', 'anatomy', 'procedure', 'finding'];

const SEEDS: Record<Category, string> = {
  medication: `aspirin acetaminophen ibuprofen naproxen metformin insulin furosemide lisinopril warfarin apixaban
    rivaroxaban clopidogrel atorvastatin rosuvastatin simvastatin pravastatin amlodipine prednisone prednisolone albuterol
    fluticasone cetirizine loratadine diphenhydramine levothyroxine gabapentin pregabalin tramadol oxycodone hydrocodone
    morphine cyclobenzaprine meloxicam celecoxib sertraline fluoxetine escitalopram citalopram bupropion alprazolam
    lorazepam zolpidem trazodone omeprazole pantoprazole esomeprazole famotidine ranitidine antibiotic antibiotics
    amoxicillin cephalexin azithromycin doxycycline ciprofloxacin nitrofurantoin clindamycin steroid steroids cortisone
    semaglutide empagliflozin dapagliflozin sitagliptin dulaglutide adalimumab methotrexate hydrochlorothiazide
    chlorthalidone spironolactone metoprolol carvedilol atenolol propranolol losartan valsartan sacubitril digoxin
    nitroglycerin statin sumatriptan topiramate levetiracetam valproate lamotrigine lithium quetiapine aripiprazole
    amphetamine methylphenidate vitamin iron calcium potassium magnesium colchicine allopurinol tamsulosin sildenafil
    tadalafil estrogen progesterone epinephrine diuretic antihistamine inhaler nsaid nsaids chemotherapy enoxaparin
    heparin guaifenesin pseudoephedrine polyethylene docusate loperamide ondansetron promethazine metoclopramide glipizide
    glyburide pioglitazone benzonatate montelukast hydroxychloroquine buspirone duloxetine venlafaxine amitriptyline
    nortriptyline clonazepam diazepam naloxone buprenorphine methadone mupirocin hydrocortisone triamcinolone ketorolac
    dexamethasone methylprednisolone medrol vaccine antidepressant antidepressants painkiller narcotics opioid opioids
    lantus humalog novolog glargine eliquis xarelto plavix lasix`,
  anatomy: `head neck chest abdomen back spine knee knees ankle foot feet hip shoulder elbow wrist hand finger fingers toe
    toes leg legs arm arms thigh calf heart lung lungs liver kidney bladder stomach colon bowel bowels intestine pancreas
    gallbladder spleen thyroid brain eye eyes ear ears nose throat mouth tongue teeth tooth skin breast prostate uterus
    ovary ovaries cervix pelvis rib ribs skull sinus sinuses lumbar cervical thoracic joint joints muscle muscles tendon
    ligament acl mcl meniscus achilles artery arteries vein veins aorta carotid esophagus abdominal extremity
    extremities lymph scalp face jaw groin buttock heel patella femur tibia fibula humerus clavicle scapula vertebra
    vertebrae disc tonsils tympanic pharynx oropharynx sternum forearm shin hamstring quadriceps bicep biceps tricep
    triceps vagina penis testicle testicles rectum anus urethra retina cornea pupil pupils nail nails hair lip lips gums
    sacrum coccyx tailbone trachea bronchi diaphragm ventricle atrium valve mitral aortic tricuspid pulmonary coronary
    renal hepatic cardiac pulmonic bilateral`,
  procedure: `mri ct xray x-ray ultrasound echocardiogram echo ekg ecg eeg emg biopsy surgery injection colonoscopy endoscopy
    mammogram therapy physiotherapy bloodwork labs cbc cmp bmp a1c urinalysis culture
    catheterization stent bypass replacement repair referral vaccination dialysis transfusion splint brace cast sutures
    stitches infusion ablation pacemaker intubation imaging scan screening exam examination debridement drainage
    aspiration cardioversion chemo radiation hemoglobin`,
  problem: `diabetes hypertension htn asthma copd cancer depression anxiety stroke failure afib fibrillation obesity gerd
    reflux migraine migraines fracture sprain strain tear infection pneumonia covid flu influenza allergy allergies
    hyperlipidemia cholesterol stone stones gout lupus hypothyroidism hyperthyroidism apnea insomnia dementia seizure
    seizures epilepsy adhd bipolar schizophrenia ptsd sciatica hernia ulcer polyp polyps nodule mass tumor lesion cyst
    abscess disease disorder syndrome injury injuries dysfunction deficiency insufficiency murmur arrhythmia
    hyperglycemia hypoglycemia neuropathy prediabetes overweight smoker smoking alcoholism addiction concussion
    whiplash uti std hiv hepatitis cirrhosis sepsis dehydration malnutrition carcinoma melanoma leukemia lymphoma`,
  finding: `pain ache aches swelling edema tenderness tender fever chills nausea vomiting diarrhea constipation cough
    wheezing wheeze dyspnea fatigue dizziness headache headaches numbness tingling weakness rash itching bleeding bruising
    rales crackles erythema effusion stiffness palpitations syncope congestion discharge redness warmth instability
    clicking popping locking spasm spasms cramping cramps sweating lightheadedness drainage blurry bloating heartburn
    incontinence urgency frequency hematuria soreness sore swollen numb weak tired lump ecchymosis laceration abrasion
    bruise wound lesions pressure rate temperature saturation pulse weight motion range sputum phlegm appetite`,
};

const SUFFIXES: Array<[string, Category]> = [
  ['olol', 'medication'], ['pril', 'medication'], ['sartan', 'medication'], ['statin', 'medication'],
  ['dipine', 'medication'], ['azole', 'medication'], ['cillin', 'medication'], ['mycin', 'medication'],
  ['cycline', 'medication'], ['floxacin', 'medication'], ['prazole', 'medication'], ['tidine', 'medication'],
  ['formin', 'medication'], ['gliptin', 'medication'], ['gliflozin', 'medication'], ['glutide', 'medication'],
  ['parin', 'medication'], ['xaban', 'medication'], ['gatran', 'medication'], ['oxetine', 'medication'],
  ['triptan', 'medication'], ['olone', 'medication'], ['asone', 'medication'], ['lukast', 'medication'],
  ['terol', 'medication'], ['tropium', 'medication'], ['zepam', 'medication'], ['azolam', 'medication'],
  ['profen', 'medication'], ['fenac', 'medication'], ['codone', 'medication'], ['barbital', 'medication'],
  ['itis', 'problem'], ['osis', 'problem'], ['emia', 'problem'], ['pathy', 'problem'], ['algia', 'problem'],
  ['plegia', 'problem'], ['paresis', 'problem'], ['penia', 'problem'], ['cytosis', 'problem'], ['thyroidism', 'problem'],
  ['iasis', 'problem'], ['rrhea', 'finding'], ['rrhage', 'finding'], ['megaly', 'finding'],
  ['ectomy', 'procedure'], ['otomy', 'procedure'], ['ostomy', 'procedure'], ['oscopy', 'procedure'],
  ['plasty', 'procedure'], ['graphy', 'procedure'], ['ogram', 'procedure'], ['centesis', 'procedure'],
  ['pexy', 'procedure'], ['desis', 'procedure'],
];
// Words that end like clinical terms but are not ("position" is not a -osis).
const SUFFIX_EXCEPTIONS = new Set(['program', 'programs', 'diagram', 'instagram', 'telegram', 'kilogram', 'terol', 'diagnosis',
  'diagnoses', 'prognosis', 'photography', 'photographs', 'biography', 'geography', 'emphasis']);

/** Brand names, abbreviations and lay terms mapped to the concept they name. */
const SYNONYMS: Record<string, string> = {
  tylenol: 'acetaminophen', advil: 'ibuprofen', motrin: 'ibuprofen', aleve: 'naproxen', lasix: 'furosemide',
  norvasc: 'amlodipine', toprol: 'metoprolol', lopressor: 'metoprolol', coumadin: 'warfarin', eliquis: 'apixaban',
  xarelto: 'rivaroxaban', plavix: 'clopidogrel', lipitor: 'atorvastatin', crestor: 'rosuvastatin', zocor: 'simvastatin',
  synthroid: 'levothyroxine', prilosec: 'omeprazole', nexium: 'esomeprazole', protonix: 'pantoprazole',
  pepcid: 'famotidine', zantac: 'ranitidine', zoloft: 'sertraline', prozac: 'fluoxetine', lexapro: 'escitalopram',
  celexa: 'citalopram', wellbutrin: 'bupropion', xanax: 'alprazolam', ativan: 'lorazepam', ambien: 'zolpidem',
  neurontin: 'gabapentin', lyrica: 'pregabalin', flexeril: 'cyclobenzaprine', mobic: 'meloxicam',
  celebrex: 'celecoxib', glucophage: 'metformin', zyrtec: 'cetirizine', claritin: 'loratadine',
  benadryl: 'diphenhydramine', flonase: 'fluticasone', ventolin: 'albuterol', proair: 'albuterol',
  singulair: 'montelukast', ozempic: 'semaglutide', jardiance: 'empagliflozin', farxiga: 'dapagliflozin',
  januvia: 'sitagliptin', trulicity: 'dulaglutide', humira: 'adalimumab', entresto: 'sacubitril',
  imitrex: 'sumatriptan', topamax: 'topiramate', keppra: 'levetiracetam', depakote: 'valproate',
  lamictal: 'lamotrigine', seroquel: 'quetiapine', abilify: 'aripiprazole', adderall: 'amphetamine',
  ritalin: 'methylphenidate', flomax: 'tamsulosin', viagra: 'sildenafil', cialis: 'tadalafil', lovenox: 'enoxaparin',
  mucinex: 'guaifenesin', sudafed: 'pseudoephedrine', miralax: 'polyethylene', colace: 'docusate',
  imodium: 'loperamide', zofran: 'ondansetron', phenergan: 'promethazine', reglan: 'metoclopramide',
  augmentin: 'amoxicillin', keflex: 'cephalexin', zithromax: 'azithromycin', cipro: 'ciprofloxacin',
  macrobid: 'nitrofurantoin', norco: 'hydrocodone', percocet: 'oxycodone', cymbalta: 'duloxetine', effexor: 'venlafaxine',
  hctz: 'hydrochlorothiazide', 'high blood pressure': 'hypertension', htn: 'hypertension',
  'a fib': 'atrial fibrillation', afib: 'atrial fibrillation', chf: 'congestive heart failure',
  'shortness of breath': 'dyspnea', sob: 'dyspnea', 'short of breath': 'dyspnea', 'x ray': 'xray', 'x rays': 'xray',
  xrays: 'xray', ekg: 'electrocardiogram', ecg: 'electrocardiogram', 'cat scan': 'ct', 'ct scan': 'ct',
  'mri scan': 'mri', 'heart attack': 'myocardial infarction', mi: 'myocardial infarction',
  'high cholesterol': 'hyperlipidemia', 'acid reflux': 'gerd', 'sugar levels': 'blood sugar',
  'blood sugars': 'blood sugar', 'glucose': 'blood sugar', 'hemoglobin a1c': 'a1c', 'physical therapy': 'physical therapy',
  pt: 'physical therapy', 'kidney stones': 'kidney stone', 'sleep apnea': 'sleep apnea', osa: 'sleep apnea',
  'type two diabetes': 'type 2 diabetes', 'diabetes type 2': 'type 2 diabetes', 'type ii diabetes': 'type 2 diabetes',
  'chronic obstructive pulmonary disease': 'copd', 'urinary tract infection': 'uti', 'covid 19': 'covid',
  'blood thinner': 'anticoagulant', 'blood thinners': 'anticoagulant', 'water pill': 'diuretic',
  'lightheaded': 'lightheadedness', 'light headed': 'lightheadedness', dizzy: 'dizziness', nauseous: 'nausea',
  'throwing up': 'vomiting', vomited: 'vomiting', itchy: 'itching', swelled: 'swelling', feverish: 'fever',
};
const EXTRA_CONCEPTS: Record<string, Category> = {
  'atrial fibrillation': 'problem', 'congestive heart failure': 'problem', 'myocardial infarction': 'problem',
  'blood sugar': 'finding', 'type 2 diabetes': 'problem', anticoagulant: 'medication', 'sleep apnea': 'problem',
  'kidney stone': 'problem', 'physical therapy': 'procedure', 'blood pressure': 'finding', 'heart rate': 'finding',
  'range of motion': 'finding', 'chest pain': 'finding', 'sore throat': 'finding', 'runny nose': 'finding',
  'weight loss': 'finding', 'weight gain': 'finding', 'oxygen saturation': 'finding', 'lipid panel': 'procedure',
  'stress test': 'procedure', 'pap smear': 'procedure', 'blood work': 'procedure', 'lab work': 'procedure',
  'rotator cuff': 'anatomy', 'lymph node': 'anatomy', 'lymph nodes': 'anatomy',
};

const STOPWORDS = new Set(
  `a an the and or but of in on at to for from with without by as is are was were be been being it its this that these
  those there here he she his her him they them their we our you your i me my mine not no any some all more most
  very much many few also just only then than so such can could would should will may might must do does did done
  have has had having over under into onto about after before since until while during per each every other both
  either neither what which who whom whose when where why how if because up down out off again further once
  patient patients doctor today yesterday tomorrow week weeks month months year years day days time times left right
  mild moderate severe chronic acute recent recently new old history denies reports states notes`
    .split(/\s+/)
    .filter(Boolean),
);
// Laterality and severity are kept inside a phrase ("left knee") but never start or end one alone.
const INNER_ALLOWED = new Set(['left', 'right', 'mild', 'moderate', 'severe', 'chronic', 'acute', 'of']);
const LEADING_ALLOWED = new Set(['left', 'right', 'mild', 'moderate', 'severe', 'chronic', 'acute']);

function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}
function surfaceKey(text: string): string {
  return tokenize(text).join(' ');
}

function categoryOfWord(word: string, seedCategory: Map<string, Category>): Category | undefined {
  const seeded = seedCategory.get(word);
  if (seeded) return seeded;
  if (word.length < 6 || SUFFIX_EXCEPTIONS.has(word) || /\d/.test(word)) return undefined;
  for (const [suffix, category] of SUFFIXES) if (word.endsWith(suffix)) return category;
  return undefined;
}

const aci = loadAciBench(aciTrain);
const mts = loadMtsDialog(mtsTrain);

const notes = [...aci.map((e) => e.tgt), ...mts.map((r) => r.sectionText)];
const encounters = [...aci.map((e) => `${e.src}\n${e.tgt}`), ...mts.map((r) => `${r.dialogue}\n${r.sectionText}`)];

const seedCategory = new Map<string, Category>();
for (const category of CATEGORIES) {
  for (const word of SEEDS[category].split(/\s+/).filter(Boolean)) seedCategory.set(surfaceKey(word), category);
}

// concept name -> category
const concepts = new Map<string, Category>();
for (const [word, category] of seedCategory) concepts.set(word, category);
for (const [name, category] of Object.entries(EXTRA_CONCEPTS)) concepts.set(surfaceKey(name), category);

// Mine categorised words and recurring phrases from the reference notes.
const phraseCounts = new Map<string, number>();
for (const note of notes) {
  for (const sentence of note.toLowerCase().split(/[.;:\n•,()]/)) {
    const tokens = tokenize(sentence);
    for (let i = 0; i < tokens.length; i++) {
      for (let n = 1; n <= 3 && i + n <= tokens.length; n++) {
        const gram = tokens.slice(i, i + n);
        const first = gram[0]!;
        const last = gram[gram.length - 1]!;
        if (/^\d/.test(first) || /^\d/.test(last)) continue;
        if (STOPWORDS.has(last) || (STOPWORDS.has(first) && !LEADING_ALLOWED.has(first))) continue;
        if (gram.some((t, k) => k > 0 && k < gram.length - 1 && STOPWORDS.has(t) && !INNER_ALLOWED.has(t))) continue;
        const key = gram.join(' ');
        phraseCounts.set(key, (phraseCounts.get(key) ?? 0) + 1);
      }
    }
  }
}
for (const [phrase, count] of phraseCounts) {
  const words = phrase.split(' ');
  const head = categoryOfWord(words[words.length - 1]!, seedCategory);
  if (!head) continue;
  if (words.length === 1) {
    if (count >= 1) concepts.set(phrase, head);
    continue;
  }
  // A phrase must recur and every content word must itself be clinical or a known modifier.
  if (count < 3) continue;
  const modifiersOk = words
    .slice(0, -1)
    .every((w) => INNER_ALLOWED.has(w) || categoryOfWord(w, seedCategory) !== undefined || /^(type|blood|heart|high|low|lower|upper|back|sinus|urinary|kidney|skin|joint|muscle|atrial|congestive|coronary|pulmonary)$/.test(w));
  if (!modifiersOk) continue;
  // Anatomy followed by a finding ("knee pain") is a finding; a site alone is anatomy.
  concepts.set(phrase, head);
}

// Surfaces: every concept name, its plural or singular when seen in the data, and the synonyms.
const corpusWords = new Set<string>();
for (const text of encounters) for (const t of tokenize(text)) corpusWords.add(t);
const surfaces = new Map<string, string>(); // surface -> concept name
for (const name of concepts.keys()) surfaces.set(name, name);
for (const name of [...concepts.keys()]) {
  const words = name.split(' ');
  const last = words[words.length - 1]!;
  const variant = last.endsWith('s') ? last.slice(0, -1) : `${last}s`;
  if (variant.length < 4 || !corpusWords.has(variant)) continue;
  const variantSurface = [...words.slice(0, -1), variant].join(' ');
  if (!surfaces.has(variantSurface)) surfaces.set(variantSurface, name);
}
for (const [surface, target] of Object.entries(SYNONYMS)) {
  const targetKey = surfaceKey(target);
  if (!concepts.has(targetKey)) {
    const fromSurface = concepts.get(surfaceKey(surface));
    concepts.set(targetKey, EXTRA_CONCEPTS[target] ?? fromSurface ?? categoryOfWord(targetKey, seedCategory) ?? 'problem');
  }
  surfaces.set(surfaceKey(surface), targetKey);
}
// A synonym's own concept entry is folded into its target.
for (const [surface, target] of surfaces) if (surface !== target && concepts.has(surface) && surfaces.get(surface) !== surface) concepts.delete(surface);

// Document frequency over whole encounters, matching every surface n-gram (all lengths).
const maxWords = Math.max(...[...surfaces.keys()].map((s) => s.split(' ').length));
const documentFrequency = new Map<string, number>();
for (const text of encounters) {
  const tokens = tokenize(text);
  const seen = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    let key = '';
    for (let n = 1; n <= maxWords && i + n <= tokens.length; n++) {
      key = n === 1 ? tokens[i]! : `${key} ${tokens[i + n - 1]}`;
      const concept = surfaces.get(key);
      if (concept !== undefined && concepts.has(concept)) seen.add(concept);
    }
  }
  for (const concept of seen) documentFrequency.set(concept, (documentFrequency.get(concept) ?? 0) + 1);
}

// Seed-only concepts never seen in the data still help future encounters; they get the top IDF.
const documents = encounters.length;
const names = [...concepts.keys()].sort();
const conceptIndex = new Map(names.map((name, i) => [name, i]));
const maxIdf = Math.log(documents + 1);
const lexicon = {
  format: 1,
  source:
    'Built by scripts/build-lexicon.ts from ACI-Bench train.json notes and MTS-Dialog train.csv section texts (CC BY 4.0) with seed lists and suffix rules.',
  documents,
  categories: CATEGORIES,
  // [name, category index, idf in [0,1]]
  concepts: names.map((name) => {
    const df = documentFrequency.get(name) ?? 0;
    const idf = Math.log((documents + 1) / (df + 1)) / maxIdf;
    return [name, CATEGORIES.indexOf(concepts.get(name)!), Math.round(Math.max(idf, 0.01) * 1000) / 1000];
  }),
  // [surface, concept index] for surfaces other than the concept's own name
  surfaces: [...surfaces]
    .filter(([surface, name]) => surface !== name && conceptIndex.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([surface, name]) => [surface, conceptIndex.get(name)!]),
};
const json = `${JSON.stringify(lexicon)}\n`;
writeFileSync(outPath, json);
const digest = createHash('sha256').update(json).digest('hex').slice(0, 12);
const perCategory = CATEGORIES.map((c, i) => `${c} ${lexicon.concepts.filter((x) => x[1] === i).length}`).join(', ');
console.log(`build-lexicon: ${names.length} concepts (${perCategory}), ${lexicon.surfaces.length} extra surfaces, ${documents} documents, ${json.length} bytes, sha256 ${digest} -> ${outPath}`);
