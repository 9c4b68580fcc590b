from flows.edition.render.narrative import french_spacing, keep_case, to_html


def test_raw_html_is_escaped_not_passed_through():
    html = to_html('Texte <script>alert(1)</script> et <img src="file:///etc/passwd">')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html


def test_only_web_and_mail_links_are_kept():
    assert 'href="https://www.ars.sante.fr"' in to_html("[ARS](https://www.ars.sante.fr)")
    assert "href" not in to_html("[x](file:///etc/passwd)")
    assert "href" not in to_html("[x](javascript:alert(1))")


def test_narrative_headings_stay_out_of_the_outline():
    assert '<h5 class="narrative-heading">Zoom</h5>' in to_html("## Zoom")


def test_amounts_typed_by_hand_never_split_across_lines():
    assert french_spacing("43 projets pour 630 000 € soit 35 %") == "43 projets pour 630\u202f000\u00a0€ soit 35\u00a0%"
    assert french_spacing("en 2024 les 3 dépistages") == "en 2024 les 3 dépistages"


def test_units_and_acronyms_are_kept_out_of_the_stylesheets_recasing():
    kept = '<span class="keep-case">{}</span>'.format
    assert keep_case("Démocratie sanitaire : 208\u00a0k€") == f"Démocratie sanitaire : 208\u00a0{kept('k€')}"
    assert keep_case("Investissements en ES et ESMS : 153,3 M€") == (
        f"Investissements en {kept('ES')} et {kept('ESMS')} : 153,3 {kept('M€')}"
    )
    assert keep_case("Parcours Cancer, ÉTÉ") == f"Parcours Cancer, {kept('ÉTÉ')}"


def test_keep_case_escapes_everything_else():
    assert keep_case("<b>ES</b> & co") == '&lt;b&gt;<span class="keep-case">ES</span>&lt;/b&gt; &amp; co'
