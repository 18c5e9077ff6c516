// The DfE 3-digit LA numbers of England and Wales: the built-in list used to check characters 2-4
// of a UPN (school census rule 1530) where no directory is at hand, e.g. by `s2s upn check`.
// At run time the directory (the `local_authorities` table, loaded from GIAS) is the other source.
//
// Source: written from the DfE LA code list (the "new local authority codes" of January 2011, the
// codes used in GIAS) with the later reorganisations applied: Dorset, Bournemouth and Poole (April
// 2019), Northamptonshire (April 2021) and Cumbria (April 2023); current as of 2025. Welsh LA numbers
// are 660-681. Cross-checked against the ranges schools' MIS suppliers quote for rule 1530 ("a valid
// post-April 1999 LA code or a recognised pseudo-LA code"), which also list 001-005 and 701-708.
//
// A UPN keeps the LA number it was issued with for the pupil's whole school career, so the numbers of
// LAs abolished since 1999 still appear on valid UPNs: they are in KNOWN_LA_NUMBERS too.

/** The LA number and name of every current LA in England and Wales. */
export const CURRENT_LA_NAMES: ReadonlyMap<string, string> = new Map([
  // London
  ['201', 'City of London'],
  ['202', 'Camden'],
  ['203', 'Greenwich'],
  ['204', 'Hackney'],
  ['205', 'Hammersmith and Fulham'],
  ['206', 'Islington'],
  ['207', 'Kensington and Chelsea'],
  ['208', 'Lambeth'],
  ['209', 'Lewisham'],
  ['210', 'Southwark'],
  ['211', 'Tower Hamlets'],
  ['212', 'Wandsworth'],
  ['213', 'Westminster'],
  ['301', 'Barking and Dagenham'],
  ['302', 'Barnet'],
  ['303', 'Bexley'],
  ['304', 'Brent'],
  ['305', 'Bromley'],
  ['306', 'Croydon'],
  ['307', 'Ealing'],
  ['308', 'Enfield'],
  ['309', 'Haringey'],
  ['310', 'Harrow'],
  ['311', 'Havering'],
  ['312', 'Hillingdon'],
  ['313', 'Hounslow'],
  ['314', 'Kingston upon Thames'],
  ['315', 'Merton'],
  ['316', 'Newham'],
  ['317', 'Redbridge'],
  ['318', 'Richmond upon Thames'],
  ['319', 'Sutton'],
  ['320', 'Waltham Forest'],
  // Metropolitan boroughs
  ['330', 'Birmingham'],
  ['331', 'Coventry'],
  ['332', 'Dudley'],
  ['333', 'Sandwell'],
  ['334', 'Solihull'],
  ['335', 'Walsall'],
  ['336', 'Wolverhampton'],
  ['340', 'Knowsley'],
  ['341', 'Liverpool'],
  ['342', 'St Helens'],
  ['343', 'Sefton'],
  ['344', 'Wirral'],
  ['350', 'Bolton'],
  ['351', 'Bury'],
  ['352', 'Manchester'],
  ['353', 'Oldham'],
  ['354', 'Rochdale'],
  ['355', 'Salford'],
  ['356', 'Stockport'],
  ['357', 'Tameside'],
  ['358', 'Trafford'],
  ['359', 'Wigan'],
  ['370', 'Barnsley'],
  ['371', 'Doncaster'],
  ['372', 'Rotherham'],
  ['373', 'Sheffield'],
  ['380', 'Bradford'],
  ['381', 'Calderdale'],
  ['382', 'Kirklees'],
  ['383', 'Leeds'],
  ['384', 'Wakefield'],
  ['390', 'Gateshead'],
  ['391', 'Newcastle upon Tyne'],
  ['392', 'North Tyneside'],
  ['393', 'South Tyneside'],
  ['394', 'Sunderland'],
  ['420', 'Isles of Scilly'],
  // Wales
  ['660', 'Isle of Anglesey'],
  ['661', 'Gwynedd'],
  ['662', 'Conwy'],
  ['663', 'Denbighshire'],
  ['664', 'Flintshire'],
  ['665', 'Wrexham'],
  ['666', 'Powys'],
  ['667', 'Ceredigion'],
  ['668', 'Pembrokeshire'],
  ['669', 'Carmarthenshire'],
  ['670', 'Swansea'],
  ['671', 'Neath Port Talbot'],
  ['672', 'Bridgend'],
  ['673', 'Vale of Glamorgan'],
  ['674', 'Rhondda Cynon Taf'],
  ['675', 'Merthyr Tydfil'],
  ['676', 'Caerphilly'],
  ['677', 'Blaenau Gwent'],
  ['678', 'Torfaen'],
  ['679', 'Monmouthshire'],
  ['680', 'Newport'],
  ['681', 'Cardiff'],
  // Counties and unitary authorities
  ['800', 'Bath and North East Somerset'],
  ['801', 'City of Bristol'],
  ['802', 'North Somerset'],
  ['803', 'South Gloucestershire'],
  ['805', 'Hartlepool'],
  ['806', 'Middlesbrough'],
  ['807', 'Redcar and Cleveland'],
  ['808', 'Stockton-on-Tees'],
  ['810', 'City of Kingston upon Hull'],
  ['811', 'East Riding of Yorkshire'],
  ['812', 'North East Lincolnshire'],
  ['813', 'North Lincolnshire'],
  ['815', 'North Yorkshire'],
  ['816', 'York'],
  ['821', 'Luton'],
  ['822', 'Bedford'],
  ['823', 'Central Bedfordshire'],
  ['825', 'Buckinghamshire'],
  ['826', 'Milton Keynes'],
  ['830', 'Derbyshire'],
  ['831', 'Derby'],
  ['838', 'Dorset'],
  ['839', 'Bournemouth, Christchurch and Poole'],
  ['840', 'County Durham'],
  ['841', 'Darlington'],
  ['845', 'East Sussex'],
  ['846', 'Brighton and Hove'],
  ['850', 'Hampshire'],
  ['851', 'Portsmouth'],
  ['852', 'Southampton'],
  ['855', 'Leicestershire'],
  ['856', 'Leicester'],
  ['857', 'Rutland'],
  ['860', 'Staffordshire'],
  ['861', 'Stoke-on-Trent'],
  ['865', 'Wiltshire'],
  ['866', 'Swindon'],
  ['867', 'Bracknell Forest'],
  ['868', 'Windsor and Maidenhead'],
  ['869', 'West Berkshire'],
  ['870', 'Reading'],
  ['871', 'Slough'],
  ['872', 'Wokingham'],
  ['873', 'Cambridgeshire'],
  ['874', 'Peterborough'],
  ['876', 'Halton'],
  ['877', 'Warrington'],
  ['878', 'Devon'],
  ['879', 'Plymouth'],
  ['880', 'Torbay'],
  ['881', 'Essex'],
  ['882', 'Southend-on-Sea'],
  ['883', 'Thurrock'],
  ['884', 'Herefordshire'],
  ['885', 'Worcestershire'],
  ['886', 'Kent'],
  ['887', 'Medway'],
  ['888', 'Lancashire'],
  ['889', 'Blackburn with Darwen'],
  ['890', 'Blackpool'],
  ['891', 'Nottinghamshire'],
  ['892', 'Nottingham'],
  ['893', 'Shropshire'],
  ['894', 'Telford and Wrekin'],
  ['895', 'Cheshire East'],
  ['896', 'Cheshire West and Chester'],
  ['908', 'Cornwall'],
  ['916', 'Gloucestershire'],
  ['919', 'Hertfordshire'],
  ['921', 'Isle of Wight'],
  ['925', 'Lincolnshire'],
  ['926', 'Norfolk'],
  ['929', 'Northumberland'],
  ['931', 'Oxfordshire'],
  ['933', 'Somerset'],
  ['935', 'Suffolk'],
  ['936', 'Surrey'],
  ['937', 'Warwickshire'],
  ['938', 'West Sussex'],
  ['940', 'North Northamptonshire'],
  ['941', 'West Northamptonshire'],
  ['942', 'Cumberland'],
  ['943', 'Westmorland and Furness'],
]);

export interface FormerLa {
  name: string;
  /** When it was abolished, like "April 2009". */
  abolished: string;
  /** The LA numbers that took over its schools. */
  successors: readonly string[];
}

/** LAs abolished since April 1999 whose numbers still appear on pupils' UPNs. */
export const FORMER_LAS: ReadonlyMap<string, FormerLa> = new Map([
  ['820', { name: 'Bedfordshire', abolished: 'April 2009', successors: ['822', '823'] }],
  ['835', { name: 'Dorset', abolished: 'April 2019', successors: ['838'] }],
  ['836', { name: 'Poole', abolished: 'April 2019', successors: ['839'] }],
  ['837', { name: 'Bournemouth', abolished: 'April 2019', successors: ['839'] }],
  ['875', { name: 'Cheshire', abolished: 'April 2009', successors: ['895', '896'] }],
  ['909', { name: 'Cumbria', abolished: 'April 2023', successors: ['942', '943'] }],
  ['928', { name: 'Northamptonshire', abolished: 'April 2021', successors: ['940', '941'] }],
]);

/**
 * "Pseudo-LA" numbers that the school census accepts at characters 2-4 of a UPN (rule 1530) although
 * no LA has them. Their individual meanings are not recorded here.
 */
export const PSEUDO_LA_NUMBERS: ReadonlySet<string> = new Set([
  '001',
  '002',
  '003',
  '004',
  '005',
  '701',
  '702',
  '703',
  '704',
  '705',
  '706',
  '707',
  '708',
]);

/** The LA numbers of the current LAs of England and Wales. */
export const CURRENT_LA_NUMBERS: ReadonlySet<string> = new Set(CURRENT_LA_NAMES.keys());

/**
 * Every number rule 1530 recognises at characters 2-4 of a UPN: current LAs, LAs abolished since
 * 1999 (their UPNs stay valid) and the pseudo-LA numbers. The default `knownLaNumbers` of the CLI.
 */
export const KNOWN_LA_NUMBERS: ReadonlySet<string> = new Set([
  ...CURRENT_LA_NAMES.keys(),
  ...FORMER_LAS.keys(),
  ...PSEUDO_LA_NUMBERS,
]);

/** The name of the LA with this number (current or former), or null when it has none. */
export function laName(laNumber: string): string | null {
  return CURRENT_LA_NAMES.get(laNumber) ?? FORMER_LAS.get(laNumber)?.name ?? null;
}
