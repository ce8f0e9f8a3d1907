//! Builds the kind of statement a marketplace sends for a buyer's search: machines of
//! some makers, with spec ranges chosen at run time, counted per model.
//!
//!     cargo run -p query-dsl --example spec_filter

use query_dsl::functions::count;
use query_dsl::types::{Float, Int, Str};
use query_dsl::{anon, exists, label, match_, node, path, rel, relationship, Expr};

label! { pub Machine = "Machine" { pub const YEAR: Int = "year"; } }
label! { pub Model = "Model" { pub const NAME: Str = "name"; } }
label! { pub Maker = "Maker" { pub const ID: Str = "id"; } }
label! { pub Spec = "Spec" { pub const NUMBER: Float = "number"; } }
label! { pub SpecCategory = "SpecCategory" { pub const ID: Str = "id"; } }
relationship! { pub IsOfModel = "IS_OF_MODEL" (Machine -> Model) {} }
relationship! { pub MadeModel = "MADE_MODEL" (Maker -> Model) {} }
relationship! { pub HasSpec = "HAS_SPEC" (Model -> Spec) {} }
relationship! { pub InSpecCategory = "BELONGS_TO_SPEC_CATEGORY" (Spec -> SpecCategory) {} }

fn main() {
    // What the buyer asked for, as it would come from the request.
    let makers = vec!["komatsu", "hitachi"];
    let ranges: &[(&str, Option<f64>, Option<f64>)] = &[
        ("operating_weight", Some(18.0), Some(25.0)),
        ("engine_power", Some(100.0), None),
    ];
    let min_year = 2012;

    let m = node::<Machine>("m");
    let mo = node::<Model>("mo");
    let k = node::<Maker>("k");
    let spec_filters = ranges.iter().map(|(category, min, max)| {
        let s = node::<Spec>("s");
        let v = s.prop(Spec::NUMBER);
        let bounds = [min.map(|x| v.clone().ge(x)), max.map(|x| v.clone().le(x))];
        exists(
            path(&mo.bare()).out(rel::<HasSpec>(), &s).out(
                rel::<InSpecCategory>(),
                &anon::<SpecCategory>().with(SpecCategory::ID, *category),
            ),
            Some(Expr::all(bounds.into_iter().flatten())),
        )
    });
    let machines = count(m.expr()).alias("machines");
    let stmt = match_(
        path(&m)
            .out(rel::<IsOfModel>(), &mo)
            .in_(rel::<MadeModel>(), &k),
    )
    .where_(
        k.prop(Maker::ID)
            .in_list(makers)
            .and(m.prop(Machine::YEAR).ge(min_year))
            .and(Expr::all(spec_filters)),
    )
    .return_((mo.prop(Model::NAME).alias("model"), machines.clone()))
    .order_by(machines.var().desc())
    .limit(10)
    .build()
    .expect("a complete statement");

    println!("{}\n", stmt.pretty());
    for (name, value) in stmt.params() {
        println!("${name} = {value:?}");
    }
}
