// The Unicode class names Go's regexp knows (\pL, \p{Greek}): the categories and scripts of Go 1.23's
// unicode package (Unicode 15.0), which kubectl 1.32 is built with, plus Go's own "Any". re2js ships
// newer tables and extra names (Cn, LC, Assigned, Emoji, White_Space, Unicode 16 scripts such as
// Garay): Go refuses those, so kubegate must too. The list was read off `kubectl proxy` itself:
// each name re2js knows, passed as --accept-paths='\p{NAME}', kept when kubectl started.

export const GO_UNICODE_CLASSES: ReadonlySet<string> = new Set(
  (
    'Adlam Ahom Anatolian_Hieroglyphs Any Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali ' +
    'Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid C Canadian_Aboriginal Carian Caucasian_Albanian Cc ' +
    'Cf Chakma Cham Cherokee Chorasmian Co Common Coptic Cs Cuneiform Cypriot Cypro_Minoan Cyrillic ' +
    'Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic ' +
    'Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya ' +
    'Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi ' +
    'Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi ' +
    'Khitan_Small_Script Khmer Khojki Khudawadi L Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Ll Lm Lo ' +
    'Lt Lu Lycian Lydian M Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Mc Me ' +
    'Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Mn Modi Mongolian ' +
    'Mro Multani Myanmar N Nabataean Nag_Mundari Nandinagari Nd New_Tai_Lue Newa Nko Nl No Nushu ' +
    'Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic ' +
    'Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage Osmanya P Pahawh_Hmong ' +
    'Palmyrene Pau_Cin_Hau Pc Pd Pe Pf Phags_Pa Phoenician Pi Po Ps Psalter_Pahlavi Rejang Runic S ' +
    'Samaritan Saurashtra Sc Sharada Shavian Siddham SignWriting Sinhala Sk Sm So Sogdian Sora_Sompeng ' +
    'Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangsa ' +
    'Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto Ugaritic Vai Vithkuqi Wancho Warang_Citi ' +
    'Yezidi Yi Z Zanabazar_Square Zl Zp Zs'
  ).split(' '),
);
